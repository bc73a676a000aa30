import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { KeyRoundIcon, PencilIcon, RefreshCwIcon, ServerIcon, Trash2Icon } from "lucide-react";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { IssuedAgentToken } from "@/api/types";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState, LoadingState, Spinner } from "@/components/states";
import { OnlineBadge, StatusBadge } from "@/components/status-badges";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
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
import { listInstances } from "@/features/instances/api";
import { getProject } from "@/features/projects/api";
import { formatDateTime, formatPercent, formatRelative } from "@/lib/format";
import { AgentTokenDialog } from "./agent-token-dialog";
import { deleteApplication, getApplication, issueAgentToken } from "./api";
import { ApplicationFormDialog } from "./application-form-dialog";

const route = getRouteApi("/app/applications/$applicationId");

function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm break-words">{children}</dd>
    </div>
  );
}

function ApplicationInstances({ applicationId }: { applicationId: string }) {
  const { t } = useTranslation();
  const params = { application_id: applicationId, page: 1, per_page: 10 };
  const query = useQuery({
    queryKey: queryKeys.instances.page(params),
    queryFn: () => listInstances(params),
  });
  if (query.isPending) return <LoadingState rows={3} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data.items.length === 0) {
    return (
      <EmptyState
        title={t("applications.noInstances")}
        description={t("applications.noInstancesHint")}
      />
    );
  }
  return (
    <>
      <Table>
        <TableCaption>{t("nav.instances")}</TableCaption>
        <TableHeader>
          <TableRow>
            <TableHead>{t("instances.hostname")}</TableHead>
            <TableHead>{t("instances.state")}</TableHead>
            <TableHead>{t("metrics.cpu")}</TableHead>
            <TableHead>{t("metrics.memory")}</TableHead>
            <TableHead>{t("instances.lastReport")}</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {query.data.items.map((instance) => (
            <TableRow key={instance.id} data-testid="application-instance">
              <TableCell className="font-medium">
                <Link
                  to="/instances/$instanceId"
                  params={{ instanceId: instance.id }}
                  search={{}}
                  className="hover:underline"
                >
                  {instance.hostname}
                </Link>
              </TableCell>
              <TableCell>
                <OnlineBadge online={instance.online} />
              </TableCell>
              <TableCell>{formatPercent(instance.cpu_usage_percent)}</TableCell>
              <TableCell>{formatPercent(instance.memory_usage_percent)}</TableCell>
              <TableCell className="text-muted-foreground">
                {formatRelative(instance.last_report_at)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {query.data.total > query.data.items.length ? (
        <p className="pt-3 text-sm text-muted-foreground">
          {t("applications.moreInstances", { count: query.data.total - query.data.items.length })}
        </p>
      ) : null}
    </>
  );
}

export function ApplicationDetailPage() {
  const { t } = useTranslation();
  const { applicationId } = route.useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const canManage = useCan("manage_fleet");
  const [editOpen, setEditOpen] = useState(false);
  const [issued, setIssued] = useState<IssuedAgentToken | null>(null);
  const query = useQuery({
    queryKey: queryKeys.applications.detail(applicationId),
    queryFn: () => getApplication(applicationId),
  });
  const project = useQuery({
    queryKey: queryKeys.projects.detail(query.data?.project_id ?? ""),
    queryFn: () => getProject(query.data?.project_id ?? ""),
    enabled: query.data !== undefined,
  });
  const issue = useMutation({
    mutationFn: () => issueAgentToken(applicationId),
    onSuccess: async (token) => {
      setIssued(token);
      await client.invalidateQueries({ queryKey: queryKeys.applications.all });
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteApplication(applicationId),
    onSuccess: async () => {
      toast({
        title: t("applications.deleted", { name: query.data?.name ?? "" }),
        variant: "success",
      });
      await client.invalidateQueries({ queryKey: queryKeys.applications.all });
      await navigate({ to: "/applications", search: {} });
    },
  });

  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const app = query.data;

  const issueButton = (onClick?: () => void) => (
    <Button
      variant={app.agent_token ? "outline" : "default"}
      disabled={issue.isPending}
      onClick={onClick}
    >
      {issue.isPending ? (
        <Spinner />
      ) : app.agent_token ? (
        <RefreshCwIcon aria-hidden />
      ) : (
        <KeyRoundIcon aria-hidden />
      )}
      {app.agent_token ? t("applications.rotateToken") : t("applications.issueToken")}
    </Button>
  );

  return (
    <>
      <PageHeader
        title={app.name}
        description={
          <span className="flex items-center gap-2">
            <code className="text-xs">{app.code}</code>
            <StatusBadge status={app.status} />
          </span>
        }
        actions={
          canManage ? (
            <>
              <Button variant="outline" onClick={() => setEditOpen(true)}>
                <PencilIcon aria-hidden />
                {t("common.edit")}
              </Button>
              <ConfirmAction
                trigger={
                  <Button variant="outline">
                    <Trash2Icon aria-hidden />
                    {t("common.delete")}
                  </Button>
                }
                title={t("applications.deleteTitle", { name: app.name })}
                description={t("applications.deleteBody")}
                confirmLabel={t("common.delete")}
                onConfirm={() => remove.mutate()}
              />
            </>
          ) : null
        }
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("common.details")}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid gap-3 sm:grid-cols-2">
              <Detail label={t("applications.project")}>
                <Link
                  to="/projects/$projectId"
                  params={{ projectId: app.project_id }}
                  className="hover:underline"
                >
                  {project.data?.name ?? app.project_id}
                </Link>
              </Detail>
              <Detail label={t("applications.techStacks")}>
                {app.tech_stacks
                  .map((s) => (s.version ? `${s.name} ${s.version}` : s.name))
                  .join(", ") || "—"}
              </Detail>
              <Detail label={t("common.description")}>{app.description ?? "—"}</Detail>
              <Detail label={t("common.created")}>{formatDateTime(app.created_at)}</Detail>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("applications.agentToken")}</CardTitle>
            <CardDescription>{t("applications.agentTokenHint")}</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            {app.agent_token ? (
              <p className="text-sm">
                {t("applications.tokenIssued", {
                  prefix: app.agent_token.prefix,
                  at: formatDateTime(app.agent_token.issued_at),
                })}
              </p>
            ) : (
              <p className="text-sm text-muted-foreground">{t("applications.noTokenYet")}</p>
            )}
            {canManage ? (
              <div>
                {app.agent_token ? (
                  <ConfirmAction
                    trigger={issueButton()}
                    title={t("applications.rotateTitle")}
                    description={t("applications.rotateBody")}
                    confirmLabel={t("applications.rotateToken")}
                    onConfirm={() => issue.mutate()}
                  />
                ) : (
                  issueButton(() => issue.mutate())
                )}
              </div>
            ) : null}
          </CardContent>
        </Card>
      </div>
      <Card className="mt-4">
        <CardHeader className="flex-row items-center justify-between">
          <CardTitle>{t("nav.instances")}</CardTitle>
          <Button asChild variant="outline" size="sm">
            <Link to="/instances" search={{ application: app.id }}>
              <ServerIcon aria-hidden />
              {t("applications.allInstances")}
            </Link>
          </Button>
        </CardHeader>
        <CardContent>
          <ApplicationInstances applicationId={app.id} />
        </CardContent>
      </Card>
      <ApplicationFormDialog open={editOpen} onOpenChange={setEditOpen} application={app} />
      <AgentTokenDialog
        issued={issued}
        applicationCode={app.code}
        onClose={() => setIssued(null)}
      />
    </>
  );
}
