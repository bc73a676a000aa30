import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Project } from "@/api/types";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { StatusFilter } from "@/components/status-filter";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { useCan } from "@/features/auth/use-session";
import { fetchProjectOptions } from "@/features/projects/api";
import { listApplications } from "./api";
import { ApplicationFormDialog } from "./application-form-dialog";
import { ApplicationsTable } from "./applications-table";

const route = getRouteApi("/app/applications");
const PER_PAGE = 50;
const ALL = "all";

export function ApplicationsPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const goTo = useNavigate();
  const canManage = useCan("manage_fleet");
  const [formOpen, setFormOpen] = useState(false);
  const page = search.page ?? 1;
  const params = {
    q: search.q,
    status: search.status,
    project_id: search.project,
    page,
    per_page: PER_PAGE,
  };
  const query = useQuery({
    queryKey: queryKeys.applications.list(params),
    queryFn: () => listApplications(params),
    placeholderData: keepPreviousData,
  });
  const projects = useQuery({ queryKey: queryKeys.projects.options, queryFn: fetchProjectOptions });
  const projectsById = useMemo(
    () => new Map<string, Project>((projects.data ?? []).map((p) => [p.id, p])),
    [projects.data],
  );

  return (
    <>
      <PageHeader
        title={t("applications.title")}
        description={t("applications.subtitle")}
        actions={
          canManage ? (
            <Button onClick={() => setFormOpen(true)}>
              <PlusIcon aria-hidden />
              {t("applications.new")}
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
            <Select
              value={search.project ?? ALL}
              onValueChange={(v) =>
                void navigate({
                  search: (s) => ({ ...s, project: v === ALL ? undefined : v, page: undefined }),
                })
              }
            >
              <SelectTrigger className="w-48" aria-label={t("applications.project")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("applications.allProjects")}</SelectItem>
                {(projects.data ?? []).map((p) => (
                  <SelectItem key={p.id} value={p.id}>
                    {p.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
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
              title={
                search.q || search.status || search.project
                  ? t("common.noMatches")
                  : t("applications.empty")
              }
              description={canManage ? t("applications.emptyHint") : undefined}
            />
          ) : (
            <>
              <ApplicationsTable applications={query.data.items} projects={projectsById} />
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
      <ApplicationFormDialog
        open={formOpen}
        onOpenChange={setFormOpen}
        {...(search.project ? { projectId: search.project } : {})}
        onSaved={(app) =>
          void goTo({ to: "/applications/$applicationId", params: { applicationId: app.id } })
        }
      />
    </>
  );
}
