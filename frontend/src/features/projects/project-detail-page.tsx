import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { StatusBadge } from "@/components/status-badges";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { toast } from "@/components/ui/toast";
import { listApplications } from "@/features/applications/api";
import { ApplicationFormDialog } from "@/features/applications/application-form-dialog";
import { ApplicationsTable } from "@/features/applications/applications-table";
import { useCan } from "@/features/auth/use-session";
import { formatDateTime } from "@/lib/format";
import { deleteProject, getProject } from "./api";
import { ProjectFormDialog } from "./project-form-dialog";

const route = getRouteApi("/app/projects/$projectId");

export function ProjectDetailPage() {
  const { t } = useTranslation();
  const { projectId } = route.useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const canManage = useCan("manage_fleet");
  const [editOpen, setEditOpen] = useState(false);
  const [appOpen, setAppOpen] = useState(false);
  const query = useQuery({
    queryKey: queryKeys.projects.detail(projectId),
    queryFn: () => getProject(projectId),
  });
  const appParams = { project_id: projectId, page: 1, per_page: 200 };
  const apps = useQuery({
    queryKey: queryKeys.applications.list(appParams),
    queryFn: () => listApplications(appParams),
  });
  const remove = useMutation({
    mutationFn: () => deleteProject(projectId),
    onSuccess: async () => {
      toast({ title: t("projects.deleted", { name: query.data?.name ?? "" }), variant: "success" });
      await client.invalidateQueries({ queryKey: queryKeys.projects.all });
      await navigate({ to: "/projects", search: {} });
    },
  });

  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const project = query.data;

  return (
    <>
      <PageHeader
        title={project.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <code className="text-xs">{project.code}</code>
            <StatusBadge status={project.status} />
            <span>{t("common.createdAt", { at: formatDateTime(project.created_at) })}</span>
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
                title={t("projects.deleteTitle", { name: project.name })}
                description={t("projects.deleteBody")}
                confirmLabel={t("common.delete")}
                onConfirm={() => remove.mutate()}
              />
              <Button onClick={() => setAppOpen(true)}>
                <PlusIcon aria-hidden />
                {t("applications.new")}
              </Button>
            </>
          ) : null
        }
      >
        {project.description ? (
          <p className="mt-2 max-w-prose text-sm">{project.description}</p>
        ) : null}
      </PageHeader>
      <Card>
        <CardHeader>
          <CardTitle>{t("applications.title")}</CardTitle>
        </CardHeader>
        <CardContent>
          {apps.isPending ? (
            <LoadingState />
          ) : apps.isError ? (
            <ErrorState error={apps.error} onRetry={() => void apps.refetch()} />
          ) : apps.data.items.length === 0 ? (
            <EmptyState
              title={t("applications.emptyInProject")}
              description={canManage ? t("applications.emptyHint") : undefined}
            />
          ) : (
            <ApplicationsTable applications={apps.data.items} />
          )}
        </CardContent>
      </Card>
      <ProjectFormDialog open={editOpen} onOpenChange={setEditOpen} project={project} />
      <ApplicationFormDialog
        open={appOpen}
        onOpenChange={setAppOpen}
        projectId={project.id}
        onSaved={(app) =>
          void navigate({ to: "/applications/$applicationId", params: { applicationId: app.id } })
        }
      />
    </>
  );
}
