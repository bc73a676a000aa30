import {
  keepPreviousData,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { BanIcon, FileTextIcon, RotateCcwIcon } from "lucide-react";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import {
  FINISHED_STATUSES,
  RECORD_STATUSES,
  type RecordStatus,
  type TaskRecord,
} from "@/api/types";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RecordBar } from "@/components/record-bar";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { RecordStatusBadge } from "@/components/status-badges";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { toast } from "@/components/ui/toast";
import { useCan } from "@/features/auth/use-session";
import { getInstance } from "@/features/instances/api";
import { formatDateTime, formatDuration, shortId } from "@/lib/format";
import { cancelTask, getTask, listTaskRecords, retryRecord } from "./api";
import { OutputDialog } from "./output-dialog";
import { TaskContentView } from "./task-content-view";

const route = getRouteApi("/app/tasks/$taskId");
const PER_PAGE = 50;
const ALL = "all";

/** Host names of the instances on the page (each fetched once and cached). */
function useInstanceNames(ids: readonly string[]): Map<string, string> {
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: queryKeys.instances.detail(id),
      queryFn: () => getInstance(id),
      staleTime: 5 * 60_000,
    })),
  });
  const names = new Map<string, string>();
  results.forEach((result, i) => {
    const id = ids[i];
    if (id && result.data) names.set(id, result.data.hostname);
  });
  return names;
}

function duration(record: TaskRecord): string {
  if (!record.started_at) return "—";
  const end = record.finished_at ? Date.parse(record.finished_at) : Date.now();
  return formatDuration((end - Date.parse(record.started_at)) / 1000);
}

const RETRYABLE: ReadonlySet<RecordStatus> = new Set(["failed", "timeout", "refused", "cancelled"]);

export function TaskDetailPage() {
  const { t } = useTranslation();
  const { taskId } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const client = useQueryClient();
  const canManage = useCan("manage_fleet");
  const [viewingId, setViewingId] = useState<string | null>(null);
  const page = search.page ?? 1;
  const task = useQuery({
    queryKey: queryKeys.tasks.detail(taskId),
    queryFn: () => getTask(taskId),
  });
  const unfinished =
    task.data !== undefined &&
    RECORD_STATUSES.some((s) => !FINISHED_STATUSES.has(s) && (task.data.records[s] ?? 0) > 0);
  const params = { status: search.status, page, per_page: PER_PAGE };
  const records = useQuery({
    queryKey: queryKeys.tasks.records(taskId, params),
    queryFn: () => listTaskRecords(taskId, params),
    placeholderData: keepPreviousData,
    // Live events keep statuses current; this catches anything the socket missed.
    refetchInterval: unfinished ? 15_000 : false,
  });
  const instanceIds = useMemo(
    () => [...new Set((records.data?.items ?? []).map((r) => r.instance_id))],
    [records.data],
  );
  const names = useInstanceNames(instanceIds);

  const cancel = useMutation({
    mutationFn: () => cancelTask(taskId),
    onSuccess: async (saved) => {
      client.setQueryData(queryKeys.tasks.detail(taskId), saved);
      await client.invalidateQueries({ queryKey: ["tasks", "records", taskId] });
      toast({ title: t("tasks.cancelDone"), variant: "success" });
    },
  });
  const retry = useMutation({
    mutationFn: (record: TaskRecord) => retryRecord(record.id),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.tasks.detail(taskId) });
      await client.invalidateQueries({ queryKey: ["tasks", "records", taskId] });
      toast({ title: t("tasks.retried"), variant: "success" });
    },
  });

  // The dialog follows the cached record, so output arriving meanwhile shows up.
  const viewing = records.data?.items.find((r) => r.id === viewingId) ?? null;

  if (task.isPending) return <LoadingState />;
  if (task.isError) return <ErrorState error={task.error} onRetry={() => void task.refetch()} />;
  const data = task.data;

  return (
    <>
      <PageHeader
        title={data.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge variant="outline">{t(`taskTypes.${data.type}`)}</Badge>
            {data.cancelled_at ? <Badge variant="secondary">{t("tasks.cancelled")}</Badge> : null}
            <span>
              {t("tasks.createdByAt", {
                user: data.created_by,
                at: formatDateTime(data.created_at),
              })}
            </span>
          </span>
        }
        actions={
          canManage && unfinished && !data.cancelled_at ? (
            <ConfirmAction
              trigger={
                <Button variant="outline" disabled={cancel.isPending}>
                  <BanIcon aria-hidden />
                  {t("tasks.cancel")}
                </Button>
              }
              title={t("tasks.cancelTitle")}
              description={t("tasks.cancelBody")}
              confirmLabel={t("tasks.cancel")}
              onConfirm={() => cancel.mutate()}
            />
          ) : null
        }
      />
      <div className="grid gap-4 lg:grid-cols-3">
        <Card>
          <CardHeader>
            <CardTitle>{t("tasks.progress")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4">
            <RecordBar records={data.records} />
            <dl className="grid grid-cols-2 gap-2 text-sm">
              <dt className="text-muted-foreground">{t("tasks.priority")}</dt>
              <dd>{data.priority}</dd>
              <dt className="text-muted-foreground">{t("tasks.timeoutShort")}</dt>
              <dd>{formatDuration(data.timeout_seconds)}</dd>
              <dt className="text-muted-foreground">{t("tasks.maxAttempts")}</dt>
              <dd>{data.max_attempts}</dd>
            </dl>
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>{t("tasks.what")}</CardTitle>
          </CardHeader>
          <CardContent>
            <TaskContentView task={data} />
          </CardContent>
        </Card>
      </div>
      <Card className="mt-4">
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
          <CardTitle>{t("tasks.records")}</CardTitle>
          <Select
            value={search.status ?? ALL}
            onValueChange={(v) =>
              void navigate({
                search: { status: v === ALL ? undefined : (v as RecordStatus), page: undefined },
              })
            }
          >
            <SelectTrigger className="w-44" aria-label={t("common.status")}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={ALL}>{t("common.allStatuses")}</SelectItem>
              {RECORD_STATUSES.map((s) => (
                <SelectItem key={s} value={s}>
                  {t(`recordStatus.${s}`)}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </CardHeader>
        <CardContent>
          {records.isPending ? (
            <LoadingState />
          ) : records.isError ? (
            <ErrorState error={records.error} onRetry={() => void records.refetch()} />
          ) : records.data.items.length === 0 ? (
            <EmptyState title={t("tasks.noRecords")} />
          ) : (
            <>
              <Table>
                <TableCaption>{t("tasks.records")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("tasks.instance")}</TableHead>
                    <TableHead>{t("common.status")}</TableHead>
                    <TableHead>{t("tasks.attempt")}</TableHead>
                    <TableHead>{t("tasks.exit")}</TableHead>
                    <TableHead>{t("tasks.started")}</TableHead>
                    <TableHead>{t("tasks.duration")}</TableHead>
                    <TableHead>
                      <span className="sr-only">{t("common.actions")}</span>
                    </TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {records.data.items.map((record) => {
                    const name = names.get(record.instance_id) ?? shortId(record.instance_id);
                    const finished = FINISHED_STATUSES.has(record.status);
                    return (
                      <TableRow
                        key={record.id}
                        data-testid="task-record"
                        data-status={record.status}
                      >
                        <TableCell className="font-medium">
                          <Link
                            to="/instances/$instanceId"
                            params={{ instanceId: record.instance_id }}
                            search={{}}
                            className="hover:underline"
                          >
                            {name}
                          </Link>
                        </TableCell>
                        <TableCell aria-live="polite">
                          <RecordStatusBadge status={record.status} />
                        </TableCell>
                        <TableCell>
                          {record.attempt}/{data.max_attempts}
                        </TableCell>
                        <TableCell>{record.exit_code ?? "—"}</TableCell>
                        <TableCell className="whitespace-nowrap text-muted-foreground">
                          {formatDateTime(record.started_at)}
                        </TableCell>
                        <TableCell>{duration(record)}</TableCell>
                        <TableCell className="text-right whitespace-nowrap">
                          <Button
                            variant="ghost"
                            size="sm"
                            disabled={!finished && !record.output}
                            onClick={() => setViewingId(record.id)}
                            aria-label={t("tasks.viewOutputOf", { name })}
                          >
                            <FileTextIcon aria-hidden />
                            {t("tasks.output")}
                          </Button>
                          {canManage && RETRYABLE.has(record.status) ? (
                            <Button
                              variant="ghost"
                              size="sm"
                              disabled={retry.isPending}
                              onClick={() => retry.mutate(record)}
                              aria-label={t("tasks.retryOn", { name })}
                            >
                              <RotateCcwIcon aria-hidden />
                              {t("tasks.retry")}
                            </Button>
                          ) : null}
                        </TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
              <Pagination
                page={page}
                perPage={PER_PAGE}
                total={records.data.total}
                onPageChange={(p) => void navigate({ search: (s) => ({ ...s, page: p }) })}
              />
            </>
          )}
        </CardContent>
      </Card>
      <OutputDialog
        record={viewing}
        instanceName={
          viewing ? (names.get(viewing.instance_id) ?? shortId(viewing.instance_id)) : ""
        }
        onClose={() => setViewingId(null)}
      />
    </>
  );
}
