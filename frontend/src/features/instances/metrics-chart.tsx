import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { queryKeys } from "@/api/query-keys";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { formatAxisTime, formatDateTime, formatPercent } from "@/lib/format";
import { getInstanceMetrics } from "./api";
import type { MetricRange } from "./search";

function tickFormatter(range: MetricRange) {
  const long = range === "7d" || range === "30d";
  return (value: number) => formatAxisTime(value, long);
}

/** CPU, memory and disk of one instance over a range, averaged by the server into buckets. */
export function MetricsChart({ instanceId, range }: { instanceId: string; range: MetricRange }) {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: queryKeys.instances.metrics(instanceId, range),
    queryFn: () => getInstanceMetrics(instanceId, range),
    refetchInterval: 30_000,
  });
  if (query.isPending) return <LoadingState rows={6} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const points = query.data.points.map((p) => ({
    at: Date.parse(p.at),
    cpu: p.cpu_usage_percent,
    memory: p.memory_usage_percent,
    disk: p.disk_usage_percent,
  }));
  if (points.length === 0) return <EmptyState title={t("metrics.noData")} />;
  const last = points.at(-1);
  return (
    <figure
      className="h-80"
      role="img"
      aria-label={t("metrics.summary", {
        cpu: formatPercent(last?.cpu),
        memory: formatPercent(last?.memory),
        disk: formatPercent(last?.disk),
      })}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ left: 0, right: 16, top: 8 }}>
          <CartesianGrid stroke="var(--color-border)" vertical={false} />
          <XAxis
            dataKey="at"
            type="number"
            scale="time"
            domain={[Date.parse(query.data.from), Date.parse(query.data.to)]}
            tickFormatter={tickFormatter(range)}
            stroke="var(--color-muted-foreground)"
            fontSize={12}
          />
          <YAxis
            domain={[0, 100]}
            unit="%"
            stroke="var(--color-muted-foreground)"
            fontSize={12}
            width={48}
          />
          <Tooltip
            labelFormatter={(v) => formatDateTime(new Date(Number(v)).toISOString())}
            formatter={(v) => formatPercent(Number(v))}
            contentStyle={{
              background: "var(--color-popover)",
              border: "1px solid var(--color-border)",
              borderRadius: 6,
            }}
          />
          <Legend />
          <Line
            type="monotone"
            dataKey="cpu"
            name={t("metrics.cpu")}
            stroke="var(--color-chart-1)"
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="memory"
            name={t("metrics.memory")}
            stroke="var(--color-chart-2)"
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="disk"
            name={t("metrics.disk")}
            stroke="var(--color-chart-3)"
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
