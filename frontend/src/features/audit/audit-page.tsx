import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { DownloadIcon, XIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { DateRange } from "@/components/date-range";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState, Spinner } from "@/components/states";
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
import { toast } from "@/components/ui/toast";
import { fileTimestamp, saveBlob } from "@/lib/download";
import { hasFilters } from "@/lib/search";
import { formatDateTime, formatNumber } from "@/lib/format";
import { AUDIT_ACTIONS, exportAudit, listAudit, RESOURCE_TYPES } from "./api";
import { AuditDetailDialog } from "./audit-detail-dialog";
import type { AuditSearch } from "./search";

const route = getRouteApi("/app/audit");
const PER_PAGE = 50;
const ALL = "all";

export function AuditPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const page = search.page ?? 1;
  const { page: _page, record, ...filters } = search;
  const update = (patch: Partial<AuditSearch>) =>
    void navigate({ search: (s) => ({ ...s, ...patch, page: undefined }) });
  const query = useQuery({
    queryKey: queryKeys.audit.list({ ...filters, page }),
    queryFn: () => listAudit(filters, page, PER_PAGE),
    placeholderData: keepPreviousData,
  });
  const download = useMutation({
    mutationFn: () => exportAudit(filters),
    onSuccess: ({ csv, total, count }) => {
      saveBlob(
        new Blob([csv], { type: "text/csv;charset=utf-8" }),
        `monihub-audit-${fileTimestamp()}.csv`,
      );
      if (count < total) {
        toast({
          title: t("audit.exportLimited", {
            count: formatNumber(count),
            total: formatNumber(total),
          }),
        });
      }
    },
  });
  const filtered = hasFilters(filters);

  return (
    <>
      <PageHeader
        title={t("audit.title")}
        description={t("audit.subtitle")}
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
              className="w-44"
              label={t("audit.actor")}
              value={search.actor ?? ""}
              onChange={(v) => update({ actor: v.trim() || undefined })}
            />
            <Select
              value={search.action ?? ALL}
              onValueChange={(v) => update({ action: v === ALL ? undefined : v })}
            >
              <SelectTrigger className="w-56" aria-label={t("audit.action")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("audit.anyAction")}</SelectItem>
                {AUDIT_ACTIONS.map((action) => (
                  <SelectItem key={action} value={action}>
                    {action}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Select
              value={search.resource_type ?? ALL}
              onValueChange={(v) => update({ resource_type: v === ALL ? undefined : v })}
            >
              <SelectTrigger className="w-44" aria-label={t("audit.resourceType")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("audit.anyResource")}</SelectItem>
                {RESOURCE_TYPES.map((type) => (
                  <SelectItem key={type} value={type}>
                    {type}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <SearchInput
              className="w-56"
              label={t("audit.resourceId")}
              value={search.resource_id ?? ""}
              onChange={(v) => update({ resource_id: v.trim() || undefined })}
            />
            <DateRange from={search.from} to={search.to} onChange={(range) => update(range)} />
            {filtered ? (
              <Button variant="ghost" onClick={() => void navigate({ search: {} })}>
                <XIcon aria-hidden />
                {t("common.clearFilters")}
              </Button>
            ) : null}
          </div>
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : query.data.items.length === 0 ? (
            <EmptyState title={filtered ? t("common.noMatches") : t("audit.empty")} />
          ) : (
            <>
              <Table>
                <TableCaption>{t("audit.title")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("logs.time")}</TableHead>
                    <TableHead>{t("audit.actor")}</TableHead>
                    <TableHead>{t("audit.action")}</TableHead>
                    <TableHead>{t("audit.resource")}</TableHead>
                    <TableHead>
                      <span className="sr-only">{t("common.actions")}</span>
                    </TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {query.data.items.map((item) => (
                    <TableRow key={item.id}>
                      <TableCell className="whitespace-nowrap text-muted-foreground">
                        {formatDateTime(item.created_at)}
                      </TableCell>
                      <TableCell>{item.actor_username}</TableCell>
                      <TableCell className="font-mono text-xs">{item.action}</TableCell>
                      <TableCell>
                        {item.resource_type}{" "}
                        <span className="font-mono text-xs text-muted-foreground">
                          {item.resource_id?.slice(0, 8)}
                        </span>
                      </TableCell>
                      <TableCell className="text-right">
                        <Button
                          variant="ghost"
                          size="sm"
                          onClick={() =>
                            void navigate({ search: (s) => ({ ...s, record: item.id }) })
                          }
                        >
                          {t("audit.viewChanges")}
                        </Button>
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
      <AuditDetailDialog
        id={record}
        onClose={() => void navigate({ search: (s) => ({ ...s, record: undefined }) })}
      />
    </>
  );
}
