import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RecordBar } from "@/components/record-bar";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { useCan } from "@/features/auth/use-session";
import { formatDateTime, formatRelative } from "@/lib/format";
import { listTasks } from "./api";

const route = getRouteApi("/app/tasks");
const PER_PAGE = 50;

export function TasksPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const canManage = useCan("manage_fleet");
  const page = search.page ?? 1;
  const params = { q: search.q, page, per_page: PER_PAGE };
  const query = useQuery({
    queryKey: queryKeys.tasks.list(params),
    queryFn: () => listTasks(params),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageHeader
        title={t("tasks.title")}
        description={t("tasks.subtitle")}
        actions={
          canManage ? (
            <Button asChild>
              <Link to="/tasks/new" search={{}}>
                <PlusIcon aria-hidden />
                {t("tasks.new")}
              </Link>
            </Button>
          ) : null
        }
      />
      <Card>
        <CardContent className="pt-5">
          <div className="mb-4">
            <SearchInput
              className="w-full max-w-xs"
              label={t("tasks.searchLabel")}
              value={search.q ?? ""}
              onChange={(q) => void navigate({ search: { q: q || undefined } })}
            />
          </div>
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : query.data.items.length === 0 ? (
            <EmptyState
              title={search.q ? t("common.noMatches") : t("tasks.empty")}
              description={canManage && !search.q ? t("tasks.emptyHint") : undefined}
            />
          ) : (
            <>
              <Table>
                <TableCaption>{t("tasks.title")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("tasks.name")}</TableHead>
                    <TableHead>{t("tasks.type")}</TableHead>
                    <TableHead>{t("tasks.createdBy")}</TableHead>
                    <TableHead>{t("common.created")}</TableHead>
                    <TableHead>{t("tasks.outcomes")}</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {query.data.items.map((task) => (
                    <TableRow key={task.id}>
                      <TableCell className="font-medium">
                        <Link
                          to="/tasks/$taskId"
                          params={{ taskId: task.id }}
                          search={{}}
                          className="hover:underline"
                        >
                          {task.name}
                        </Link>
                        {task.cancelled_at ? (
                          <Badge variant="secondary" className="ml-2">
                            {t("tasks.cancelled")}
                          </Badge>
                        ) : null}
                      </TableCell>
                      <TableCell>{t(`taskTypes.${task.type}`)}</TableCell>
                      <TableCell>{task.created_by}</TableCell>
                      <TableCell
                        className="whitespace-nowrap text-muted-foreground"
                        title={formatDateTime(task.created_at)}
                      >
                        {formatRelative(task.created_at)}
                      </TableCell>
                      <TableCell>
                        <RecordBar records={task.records} />
                      </TableCell>
                    </TableRow>
                  ))}
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
