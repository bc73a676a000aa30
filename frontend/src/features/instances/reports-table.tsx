import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { Pagination } from "@/components/pagination";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { formatBytes, formatDateTime, formatDuration, formatPercent } from "@/lib/format";
import { listReports } from "./api";

const PER_PAGE = 50;

/** The instance's stored reports, newest first. */
export function ReportsTable({
  instanceId,
  page,
  onPageChange,
}: {
  instanceId: string;
  page: number;
  onPageChange: (page: number) => void;
}) {
  const { t } = useTranslation();
  const params = { page, per_page: PER_PAGE };
  const query = useQuery({
    queryKey: queryKeys.instances.reports(instanceId, params),
    queryFn: () => listReports(instanceId, params),
    placeholderData: keepPreviousData,
  });
  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data.items.length === 0) return <EmptyState title={t("instances.noReports")} />;
  return (
    <>
      <Table>
        <TableCaption>{t("instances.reports")}</TableCaption>
        <TableHeader>
          <TableRow>
            <TableHead>{t("instances.reportedAt")}</TableHead>
            <TableHead>{t("metrics.cpu")}</TableHead>
            <TableHead>{t("metrics.memory")}</TableHead>
            <TableHead>{t("metrics.disk")}</TableHead>
            <TableHead>{t("instances.load")}</TableHead>
            <TableHead>{t("instances.threads")}</TableHead>
            <TableHead>{t("instances.processUptime")}</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {query.data.items.map((report) => (
            <TableRow key={report.id}>
              <TableCell className="whitespace-nowrap">
                {formatDateTime(report.reported_at)}
              </TableCell>
              <TableCell>{formatPercent(report.cpu_usage_percent)}</TableCell>
              <TableCell
                title={`${formatBytes(report.memory_used_bytes)} / ${formatBytes(report.memory_total_bytes)}`}
              >
                {formatPercent(report.memory_usage_percent)}
              </TableCell>
              <TableCell
                title={`${formatBytes(report.disk_used_bytes)} / ${formatBytes(report.disk_total_bytes)}`}
              >
                {formatPercent(report.disk_usage_percent)}
              </TableCell>
              <TableCell>{report.load_average_1m?.toFixed(2) ?? "—"}</TableCell>
              <TableCell>{report.thread_count ?? "—"}</TableCell>
              <TableCell>{formatDuration(report.process_uptime_seconds)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Pagination
        page={page}
        perPage={PER_PAGE}
        total={query.data.total}
        onPageChange={onPageChange}
      />
    </>
  );
}
