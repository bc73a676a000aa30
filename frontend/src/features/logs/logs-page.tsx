import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { ChevronDownIcon, ChevronRightIcon, DownloadIcon, XIcon } from "lucide-react";
import { Fragment, useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { LOG_LEVELS, type LogLevel } from "@/api/types";
import { CodeBlock, formatJson } from "@/components/code-block";
import { DateRange } from "@/components/date-range";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState, Spinner } from "@/components/states";
import { LevelBadge } from "@/components/status-badges";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
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
import { useApplications } from "@/features/applications/use-application-names";
import { fileTimestamp, saveBlob } from "@/lib/download";
import { hasFilters } from "@/lib/search";
import { formatDateTime, shortId } from "@/lib/format";
import { exportLogs, listLogs } from "./api";
import type { LogsSearch } from "./search";

const route = getRouteApi("/app/logs");
const PER_PAGE = 100;
const ALL = "all";

export function LogsPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const applications = useApplications();
  const [expanded, setExpanded] = useState<string | null>(null);
  const page = search.page ?? 1;
  const { page: _page, ...filters } = search;
  const update = (patch: Partial<LogsSearch>) =>
    void navigate({ search: (s) => ({ ...s, ...patch, page: undefined }) });
  const query = useQuery({
    queryKey: queryKeys.logs.list({ ...filters, page }),
    queryFn: () => listLogs(filters, page, PER_PAGE),
    placeholderData: keepPreviousData,
  });
  const download = useMutation({
    mutationFn: () => exportLogs(filters),
    onSuccess: (blob) => saveBlob(blob, `monihub-logs-${fileTimestamp()}.csv`),
  });
  const filtered = hasFilters(filters);

  return (
    <>
      <PageHeader
        title={t("logs.title")}
        description={t("logs.subtitle")}
        actions={
          <Button variant="outline" disabled={download.isPending} onClick={() => download.mutate()}>
            {download.isPending ? <Spinner /> : <DownloadIcon aria-hidden />}
            {t("common.exportCsv")}
          </Button>
        }
      />
      <Card>
        <CardContent className="grid gap-4 pt-5">
          <div className="flex flex-wrap items-end gap-2">
            <SearchInput
              className="w-full max-w-xs"
              label={t("logs.searchLabel")}
              value={search.q ?? ""}
              onChange={(q) => update({ q: q || undefined })}
            />
            <Select
              value={search.level ?? ALL}
              onValueChange={(v) => update({ level: v === ALL ? undefined : (v as LogLevel) })}
            >
              <SelectTrigger className="w-32" aria-label={t("logs.level")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("logs.anyLevel")}</SelectItem>
                {LOG_LEVELS.map((level) => (
                  <SelectItem key={level} value={level}>
                    {level}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Select
              value={search.source ?? ALL}
              onValueChange={(v) =>
                update({ source: v === ALL ? undefined : (v as "agent" | "server") })
              }
            >
              <SelectTrigger className="w-32" aria-label={t("logs.source")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("logs.anySource")}</SelectItem>
                <SelectItem value="agent">{t("logs.sources.agent")}</SelectItem>
                <SelectItem value="server">{t("logs.sources.server")}</SelectItem>
              </SelectContent>
            </Select>
            <Select
              value={search.application_id ?? ALL}
              onValueChange={(v) => update({ application_id: v === ALL ? undefined : v })}
            >
              <SelectTrigger className="w-48" aria-label={t("instances.application")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("instances.allApplications")}</SelectItem>
                {(applications.data ?? []).map((app) => (
                  <SelectItem key={app.id} value={app.id}>
                    {app.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <SearchInput
              className="w-56"
              label={t("logs.traceId")}
              value={search.trace_id ?? ""}
              onChange={(v) => update({ trace_id: v.trim() || undefined })}
            />
            <DateRange from={search.from} to={search.to} onChange={(range) => update(range)} />
            {filtered ? (
              <Button variant="ghost" onClick={() => void navigate({ search: {} })}>
                <XIcon aria-hidden />
                {t("common.clearFilters")}
              </Button>
            ) : null}
          </div>
          {search.instance_id ? (
            <p className="text-sm">
              {t("logs.forInstance")}{" "}
              <Link
                to="/instances/$instanceId"
                params={{ instanceId: search.instance_id }}
                search={{}}
                className="font-mono underline"
              >
                {shortId(search.instance_id)}
              </Link>
            </p>
          ) : null}
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : query.data.items.length === 0 ? (
            <EmptyState title={filtered ? t("common.noMatches") : t("logs.empty")} />
          ) : (
            <>
              <Table>
                <TableCaption>{t("logs.title")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead className="w-8">
                      <span className="sr-only">{t("logs.details")}</span>
                    </TableHead>
                    <TableHead>{t("logs.time")}</TableHead>
                    <TableHead>{t("logs.level")}</TableHead>
                    <TableHead>{t("logs.source")}</TableHead>
                    <TableHead>{t("instances.application")}</TableHead>
                    <TableHead>{t("logs.message")}</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {query.data.items.map((line) => {
                    const open = expanded === line.id;
                    return (
                      <Fragment key={line.id}>
                        <TableRow>
                          <TableCell>
                            <Button
                              variant="ghost"
                              size="icon"
                              className="size-7"
                              aria-expanded={open}
                              aria-label={t("logs.details")}
                              onClick={() => setExpanded(open ? null : line.id)}
                            >
                              {open ? (
                                <ChevronDownIcon aria-hidden />
                              ) : (
                                <ChevronRightIcon aria-hidden />
                              )}
                            </Button>
                          </TableCell>
                          <TableCell className="whitespace-nowrap text-muted-foreground">
                            {formatDateTime(line.logged_at)}
                          </TableCell>
                          <TableCell>
                            <LevelBadge level={line.level} />
                          </TableCell>
                          <TableCell>{line.source}</TableCell>
                          <TableCell className="whitespace-nowrap">
                            {line.application_id
                              ? (applications.byId.get(line.application_id)?.name ??
                                shortId(line.application_id))
                              : "—"}
                          </TableCell>
                          <TableCell
                            className="max-w-xl truncate font-mono text-xs"
                            title={line.message}
                          >
                            {line.message}
                          </TableCell>
                        </TableRow>
                        {open ? (
                          <TableRow>
                            <TableCell colSpan={6} className="bg-muted/30">
                              <dl className="grid gap-2 text-sm sm:grid-cols-3">
                                <div>
                                  <dt className="text-xs text-muted-foreground">
                                    {t("logs.received")}
                                  </dt>
                                  <dd>{formatDateTime(line.received_at)}</dd>
                                </div>
                                <div>
                                  <dt className="text-xs text-muted-foreground">
                                    {t("logs.traceId")}
                                  </dt>
                                  <dd className="font-mono text-xs">{line.trace_id ?? "—"}</dd>
                                </div>
                                <div>
                                  <dt className="text-xs text-muted-foreground">
                                    {t("tasks.instance")}
                                  </dt>
                                  <dd>
                                    {line.instance_id ? (
                                      <Link
                                        to="/instances/$instanceId"
                                        params={{ instanceId: line.instance_id }}
                                        search={{}}
                                        className="font-mono text-xs underline"
                                      >
                                        {shortId(line.instance_id)}
                                      </Link>
                                    ) : (
                                      "—"
                                    )}
                                  </dd>
                                </div>
                              </dl>
                              <CodeBlock className="mt-2">{line.message}</CodeBlock>
                              {Object.keys(line.context).length > 0 ? (
                                <CodeBlock className="mt-2">{formatJson(line.context)}</CodeBlock>
                              ) : null}
                            </TableCell>
                          </TableRow>
                        ) : null}
                      </Fragment>
                    );
                  })}
                </TableBody>
              </Table>
              <Pagination
                page={page}
                perPage={PER_PAGE}
                total={query.data.total}
                onPageChange={(p) => void navigate({ search: (s) => ({ ...s, page: p }) })}
              />
            </>
          )}
        </CardContent>
      </Card>
    </>
  );
}
