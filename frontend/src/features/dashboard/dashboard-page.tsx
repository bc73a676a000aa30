import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import {
  Bar,
  BarChart,
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
import { PageHeader } from "@/components/page-header";
import { RecordBar } from "@/components/record-bar";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { useCan } from "@/features/auth/use-session";
import { formatNumber, formatPercent, formatRelative, formatTime } from "@/lib/format";
import {
  fetchFleetCounts,
  fetchInstancesByApplication,
  fetchRecentTasks,
  fetchUsageSample,
} from "./api";
import { useLiveUsage } from "./use-live-usage";

function StatCard({
  label,
  value,
  hint,
  loading,
  tone,
}: {
  label: string;
  value: number | undefined;
  hint?: ReactNode;
  loading: boolean;
  tone?: "success" | "muted";
}) {
  return (
    <Card>
      <CardHeader className="pb-1">
        <CardDescription>{label}</CardDescription>
      </CardHeader>
      <CardContent>
        {loading ? (
          <Skeleton className="h-8 w-20" />
        ) : (
          <p
            className={
              tone === "success"
                ? "text-3xl font-semibold text-success"
                : tone === "muted"
                  ? "text-3xl font-semibold text-muted-foreground"
                  : "text-3xl font-semibold"
            }
          >
            {value === undefined ? "—" : formatNumber(value)}
          </p>
        )}
        {hint ? <p className="mt-1 text-xs text-muted-foreground">{hint}</p> : null}
      </CardContent>
    </Card>
  );
}

function ApplicationsChart() {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: queryKeys.dashboard.applications,
    queryFn: fetchInstancesByApplication,
    staleTime: 30_000,
  });
  if (query.isPending) return <LoadingState rows={5} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data.slice(0, 10);
  if (data.length === 0) {
    return (
      <EmptyState title={t("dashboard.noInstances")} description={t("dashboard.noInstancesHint")} />
    );
  }
  const summary = data
    .map((d) => t("dashboard.appSummary", { name: d.name, online: d.online, offline: d.offline }))
    .join("; ");
  return (
    <figure aria-label={summary} className="h-72" role="img">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
          <CartesianGrid horizontal={false} stroke="var(--color-border)" />
          <XAxis
            type="number"
            allowDecimals={false}
            stroke="var(--color-muted-foreground)"
            fontSize={12}
          />
          <YAxis
            type="category"
            dataKey="name"
            width={120}
            stroke="var(--color-muted-foreground)"
            fontSize={12}
            tickFormatter={(name: string) => (name.length > 16 ? `${name.slice(0, 15)}…` : name)}
          />
          <Tooltip
            cursor={{ fill: "var(--color-muted)" }}
            contentStyle={{
              background: "var(--color-popover)",
              border: "1px solid var(--color-border)",
              borderRadius: 6,
            }}
          />
          <Legend />
          <Bar
            dataKey="online"
            name={t("instances.online")}
            stackId="a"
            fill="var(--color-success)"
          />
          <Bar
            dataKey="offline"
            name={t("instances.offline")}
            stackId="a"
            fill="var(--color-muted-foreground)"
          />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

function UsageChart() {
  const { t } = useTranslation();
  const sample = useQuery({
    queryKey: [...queryKeys.dashboard.all, "usage-sample"],
    queryFn: fetchUsageSample,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const points = useLiveUsage(sample.data);
  if (sample.isPending) return <LoadingState rows={5} />;
  if (sample.isError)
    return <ErrorState error={sample.error} onRetry={() => void sample.refetch()} />;
  const last = points.at(-1);
  if (!last) {
    return <EmptyState title={t("dashboard.noUsage")} description={t("dashboard.noUsageHint")} />;
  }
  return (
    <figure
      className="h-72"
      role="img"
      aria-label={t("dashboard.usageSummary", {
        cpu: formatPercent(last.cpu),
        memory: formatPercent(last.memory),
        count: last.instances,
      })}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ left: 0, right: 16, top: 8 }}>
          <CartesianGrid stroke="var(--color-border)" vertical={false} />
          <XAxis
            dataKey="at"
            type="number"
            domain={["dataMin", "dataMax"]}
            tickFormatter={(v: number) => formatTime(v)}
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
            labelFormatter={(v) => formatTime(Number(v))}
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
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

function RecentTasks() {
  const { t } = useTranslation();
  const query = useQuery({ queryKey: queryKeys.dashboard.tasks, queryFn: fetchRecentTasks });
  if (query.isPending) return <LoadingState rows={4} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data.length === 0) return <EmptyState title={t("tasks.empty")} />;
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>{t("tasks.name")}</TableHead>
          <TableHead>{t("tasks.type")}</TableHead>
          <TableHead>{t("common.created")}</TableHead>
          <TableHead>{t("tasks.outcomes")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {query.data.map((task) => (
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
            </TableCell>
            <TableCell>{t(`taskTypes.${task.type}`)}</TableCell>
            <TableCell className="text-muted-foreground">
              {formatRelative(task.created_at)}
            </TableCell>
            <TableCell>
              <RecordBar records={task.records} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function DashboardPage() {
  const { t } = useTranslation();
  const canManage = useCan("manage_fleet");
  const counts = useQuery({ queryKey: queryKeys.dashboard.counts, queryFn: fetchFleetCounts });
  const data = counts.data;
  return (
    <>
      <PageHeader
        title={t("dashboard.title")}
        description={t("dashboard.subtitle")}
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
      {counts.isError ? (
        <ErrorState error={counts.error} onRetry={() => void counts.refetch()} className="mb-4" />
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <StatCard
          label={t("dashboard.instances")}
          value={data?.total}
          loading={counts.isPending}
          hint={data ? t("dashboard.disabledCount", { count: data.disabled }) : undefined}
        />
        <StatCard
          label={t("instances.online")}
          value={data?.online}
          loading={counts.isPending}
          tone="success"
        />
        <StatCard
          label={t("instances.offline")}
          value={data?.offline}
          loading={counts.isPending}
          tone="muted"
        />
        <StatCard label={t("nav.projects")} value={data?.projects} loading={counts.isPending} />
      </div>
      <div className="mt-4 grid gap-4 xl:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.byApplication")}</CardTitle>
            <CardDescription>{t("dashboard.byApplicationHint")}</CardDescription>
          </CardHeader>
          <CardContent>
            <ApplicationsChart />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.usage")}</CardTitle>
            <CardDescription>{t("dashboard.usageHint")}</CardDescription>
          </CardHeader>
          <CardContent>
            <UsageChart />
          </CardContent>
        </Card>
      </div>
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>{t("dashboard.recentTasks")}</CardTitle>
        </CardHeader>
        <CardContent>
          <RecentTasks />
        </CardContent>
      </Card>
    </>
  );
}
