import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { PlayIcon, PowerIcon, PowerOffIcon, Trash2Icon } from "lucide-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { CodeBlock, formatJson } from "@/components/code-block";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { ErrorState, LoadingState, Spinner } from "@/components/states";
import { OnlineBadge, StatusBadge } from "@/components/status-badges";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { toast } from "@/components/ui/toast";
import { useApplications } from "@/features/applications/use-application-names";
import { useCan } from "@/features/auth/use-session";
import {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatPercent,
  formatRelative,
} from "@/lib/format";
import { deleteInstance, getInstance, updateInstance } from "./api";
import { ConfigEditor } from "./config-editor";
import { MetricsChart } from "./metrics-chart";
import { ReportsTable } from "./reports-table";
import { METRIC_RANGES, type MetricRange } from "./search";

const route = getRouteApi("/app/instances/$instanceId");

function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm break-words">{children ?? "—"}</dd>
    </div>
  );
}

function KeyValues({ value, empty }: { value: Record<string, unknown>; empty: string }) {
  const entries = Object.entries(value);
  if (entries.length === 0) return <p className="text-sm text-muted-foreground">{empty}</p>;
  return (
    <dl className="grid max-h-80 grid-cols-[minmax(8rem,auto)_1fr] gap-x-4 gap-y-1 overflow-auto text-sm">
      {entries.map(([key, v]) => (
        <div key={key} className="contents">
          <dt className="font-mono text-xs text-muted-foreground">{key}</dt>
          <dd className="font-mono text-xs break-all">
            {typeof v === "string" ? v : JSON.stringify(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function InstanceDetailPage() {
  const { t } = useTranslation();
  const { instanceId } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const goTo = useNavigate();
  const client = useQueryClient();
  const canManage = useCan("manage_fleet");
  const applications = useApplications();
  const query = useQuery({
    queryKey: queryKeys.instances.detail(instanceId),
    queryFn: () => getInstance(instanceId),
  });
  const toggle = useMutation({
    mutationFn: (status: "active" | "disabled") => updateInstance(instanceId, { status }),
    onSuccess: (saved) => {
      client.setQueryData(queryKeys.instances.detail(instanceId), saved);
      void client.invalidateQueries({ queryKey: queryKeys.instances.fleet });
      toast({
        title: saved.status === "active" ? t("instances.enabled") : t("instances.disabled"),
        variant: "success",
      });
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteInstance(instanceId),
    onSuccess: async () => {
      toast({ title: t("instances.deleted"), variant: "success" });
      await client.invalidateQueries({ queryKey: queryKeys.instances.all });
      await goTo({ to: "/instances", search: {} });
    },
  });

  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const instance = query.data;
  const app = applications.byId.get(instance.application_id);
  const tab = search.tab ?? "overview";
  const range: MetricRange = search.range ?? "1h";

  return (
    <>
      <PageHeader
        title={instance.hostname}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <OnlineBadge online={instance.online} />
            <StatusBadge status={instance.status} />
            <span>
              {t("instances.lastReportAt", { at: formatRelative(instance.last_report_at) })}
            </span>
          </span>
        }
        actions={
          canManage ? (
            <>
              <Button asChild variant="outline">
                <Link to="/tasks/new" search={{ instance: instance.id }}>
                  <PlayIcon aria-hidden />
                  {t("instances.runTask")}
                </Link>
              </Button>
              <Button
                variant="outline"
                disabled={toggle.isPending}
                onClick={() => toggle.mutate(instance.status === "active" ? "disabled" : "active")}
              >
                {toggle.isPending ? (
                  <Spinner />
                ) : instance.status === "active" ? (
                  <PowerOffIcon aria-hidden />
                ) : (
                  <PowerIcon aria-hidden />
                )}
                {instance.status === "active" ? t("instances.disable") : t("instances.enable")}
              </Button>
              <ConfirmAction
                trigger={
                  <Button variant="outline">
                    <Trash2Icon aria-hidden />
                    {t("common.delete")}
                  </Button>
                }
                title={t("instances.deleteTitle", { name: instance.hostname })}
                description={t("instances.deleteBody")}
                confirmLabel={t("common.delete")}
                onConfirm={() => remove.mutate()}
              />
            </>
          ) : null
        }
      />
      <Tabs
        value={tab}
        onValueChange={(value) =>
          void navigate({ search: (s) => ({ ...s, tab: value as typeof tab }), replace: true })
        }
      >
        <TabsList>
          <TabsTrigger value="overview">{t("instances.overview")}</TabsTrigger>
          <TabsTrigger value="metrics">{t("instances.metrics")}</TabsTrigger>
          <TabsTrigger value="reports">{t("instances.reports")}</TabsTrigger>
          <TabsTrigger value="config">{t("instances.config")}</TabsTrigger>
        </TabsList>
        <TabsContent value="overview" className="grid gap-4 lg:grid-cols-2">
          <Card>
            <CardHeader>
              <CardTitle>{t("instances.system")}</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid gap-3 sm:grid-cols-2">
                <Detail label={t("instances.application")}>
                  {app ? (
                    <Link
                      to="/applications/$applicationId"
                      params={{ applicationId: app.id }}
                      className="hover:underline"
                    >
                      {app.name}
                    </Link>
                  ) : (
                    instance.application_id
                  )}
                </Detail>
                <Detail label={t("instances.agentId")}>
                  <code className="text-xs">{instance.agent_instance_id}</code>
                </Detail>
                <Detail label={t("instances.os")}>
                  {[instance.os_type, instance.os_version].filter(Boolean).join(" ")}
                </Detail>
                <Detail label={t("instances.kernel")}>{instance.kernel_version}</Detail>
                <Detail label={t("instances.agentVersion")}>{instance.agent_version}</Detail>
                <Detail label={t("instances.uptime")}>
                  {formatDuration(instance.uptime_seconds)}
                </Detail>
                <Detail label={t("instances.ip")}>{instance.ip_address}</Detail>
                <Detail label={t("instances.publicIp")}>{instance.public_ip}</Detail>
                <Detail label={t("instances.mac")}>{instance.mac_address}</Detail>
                <Detail label={t("instances.firstReport")}>
                  {formatDateTime(instance.first_report_at)}
                </Detail>
                <Detail label={t("instances.reportCount")}>
                  {formatNumber(instance.report_count)}
                </Detail>
                {instance.offline_at ? (
                  <Detail label={t("instances.offlineSince")}>
                    {formatDateTime(instance.offline_at)}
                  </Detail>
                ) : null}
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t("instances.hardware")}</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid gap-3 sm:grid-cols-2">
                <Detail label={t("instances.cpuModel")}>{instance.cpu_model}</Detail>
                <Detail label={t("instances.cpuCores")}>{instance.cpu_cores}</Detail>
                <Detail label={t("metrics.cpu")}>
                  {formatPercent(instance.cpu_usage_percent)}
                </Detail>
                <Detail label={t("instances.load")}>{instance.load_average_1m?.toFixed(2)}</Detail>
                <Detail label={t("metrics.memory")}>
                  {`${formatPercent(instance.memory_usage_percent)} / ${formatBytes(instance.memory_total_bytes)}`}
                </Detail>
                <Detail label={t("metrics.disk")}>
                  {`${formatPercent(instance.disk_usage_percent)} / ${formatBytes(instance.disk_total_bytes)}`}
                </Detail>
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t("instances.environment")}</CardTitle>
            </CardHeader>
            <CardContent>
              <KeyValues value={instance.environment} empty={t("instances.noEnvironment")} />
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t("instances.customFields")}</CardTitle>
            </CardHeader>
            <CardContent>
              {Object.keys(instance.custom_fields).length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("instances.noCustomFields")}</p>
              ) : (
                <CodeBlock>{formatJson(instance.custom_fields)}</CodeBlock>
              )}
            </CardContent>
          </Card>
        </TabsContent>
        <TabsContent value="metrics">
          <Card>
            <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
              <CardTitle>{t("instances.metrics")}</CardTitle>
              <Select
                value={range}
                onValueChange={(value) =>
                  void navigate({
                    search: (s) => ({ ...s, range: value as MetricRange }),
                    replace: true,
                  })
                }
              >
                <SelectTrigger className="w-40" aria-label={t("metrics.range")}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {METRIC_RANGES.map((r) => (
                    <SelectItem key={r} value={r}>
                      {t(`metrics.ranges.${r}`)}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            </CardHeader>
            <CardContent>
              <MetricsChart instanceId={instance.id} range={range} />
            </CardContent>
          </Card>
        </TabsContent>
        <TabsContent value="reports">
          <Card>
            <CardContent className="pt-5">
              <ReportsTable
                instanceId={instance.id}
                page={search.page ?? 1}
                onPageChange={(page) => void navigate({ search: (s) => ({ ...s, page }) })}
              />
            </CardContent>
          </Card>
        </TabsContent>
        <TabsContent value="config">
          <Card>
            <CardHeader>
              <CardTitle>{t("instances.config")}</CardTitle>
            </CardHeader>
            <CardContent>
              <ConfigEditor instance={instance} readOnly={!canManage} />
            </CardContent>
          </Card>
        </TabsContent>
      </Tabs>
    </>
  );
}
