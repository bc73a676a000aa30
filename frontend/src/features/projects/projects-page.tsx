import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Project } from "@/api/types";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { StatusBadge } from "@/components/status-badges";
import { StatusFilter } from "@/components/status-filter";
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
import { toast } from "@/components/ui/toast";
import { useCan } from "@/features/auth/use-session";
import { formatRelative } from "@/lib/format";
import { deleteProject, listProjects } from "./api";
import { ProjectFormDialog } from "./project-form-dialog";

const route = getRouteApi("/app/projects");
const PER_PAGE = 50;

export function ProjectsPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const client = useQueryClient();
  const canManage = useCan("manage_fleet");
  const [editing, setEditing] = useState<Project | undefined>();
  const [formOpen, setFormOpen] = useState(false);
  const page = search.page ?? 1;
  const params = { q: search.q, status: search.status, page, per_page: PER_PAGE };
  const query = useQuery({
    queryKey: queryKeys.projects.list(params),
    queryFn: () => listProjects(params),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (project: Project) => deleteProject(project.id),
    onSuccess: async (_data, project) => {
      await client.invalidateQueries({ queryKey: queryKeys.projects.all });
      toast({ title: t("projects.deleted", { name: project.name }), variant: "success" });
    },
  });

  return (
    <>
      <PageHeader
        title={t("projects.title")}
        description={t("projects.subtitle")}
        actions={
          canManage ? (
            <Button
              onClick={() => {
                setEditing(undefined);
                setFormOpen(true);
              }}
            >
              <PlusIcon aria-hidden />
              {t("projects.new")}
            </Button>
          ) : null
        }
      />
      <Card>
        <CardContent className="pt-5">
          <div className="mb-4 flex flex-wrap gap-2">
            <SearchInput
              className="w-full max-w-xs"
              label={t("common.search")}
              value={search.q ?? ""}
              onChange={(q) =>
                void navigate({ search: (s) => ({ ...s, q: q || undefined, page: undefined }) })
              }
            />
            <StatusFilter
              value={search.status}
              onChange={(status) =>
                void navigate({ search: (s) => ({ ...s, status, page: undefined }) })
              }
            />
          </div>
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : query.data.items.length === 0 ? (
            <EmptyState
              title={search.q || search.status ? t("common.noMatches") : t("projects.empty")}
              description={canManage && !search.q ? t("projects.emptyHint") : undefined}
            />
          ) : (
            <>
              <Table>
                <TableCaption>{t("projects.title")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("common.name")}</TableHead>
                    <TableHead>{t("common.code")}</TableHead>
                    <TableHead>{t("common.status")}</TableHead>
                    <TableHead>{t("common.description")}</TableHead>
                    <TableHead>{t("common.updated")}</TableHead>
                    {canManage ? (
                      <TableHead>
                        <span className="sr-only">{t("common.actions")}</span>
                      </TableHead>
                    ) : null}
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {query.data.items.map((project) => (
                    <TableRow key={project.id}>
                      <TableCell className="font-medium">
                        <Link
                          to="/projects/$projectId"
                          params={{ projectId: project.id }}
                          className="hover:underline"
                        >
                          {project.name}
                        </Link>
                      </TableCell>
                      <TableCell className="font-mono text-xs">{project.code}</TableCell>
                      <TableCell>
                        <StatusBadge status={project.status} />
                      </TableCell>
                      <TableCell className="max-w-xs truncate text-muted-foreground">
                        {project.description}
                      </TableCell>
                      <TableCell className="text-muted-foreground">
                        {formatRelative(project.updated_at)}
                      </TableCell>
                      {canManage ? (
                        <TableCell className="text-right whitespace-nowrap">
                          <Button
                            variant="ghost"
                            size="icon"
                            aria-label={t("common.editNamed", { name: project.name })}
                            onClick={() => {
                              setEditing(project);
                              setFormOpen(true);
                            }}
                          >
                            <PencilIcon aria-hidden />
                          </Button>
                          <ConfirmAction
                            trigger={
                              <Button
                                variant="ghost"
                                size="icon"
                                aria-label={t("common.deleteNamed", { name: project.name })}
                              >
                                <Trash2Icon aria-hidden />
                              </Button>
                            }
                            title={t("projects.deleteTitle", { name: project.name })}
                            description={t("projects.deleteBody")}
                            confirmLabel={t("common.delete")}
                            onConfirm={() => remove.mutate(project)}
                          />
                        </TableCell>
                      ) : null}
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
      <ProjectFormDialog open={formOpen} onOpenChange={setFormOpen} project={editing} />
    </>
  );
}
