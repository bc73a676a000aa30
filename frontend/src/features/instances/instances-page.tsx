import { getRouteApi } from "@tanstack/react-router";
import type { SortingState } from "@tanstack/react-table";
import { useCallback, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { PageHeader } from "@/components/page-header";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { StatusFilter } from "@/components/status-filter";
import { Card, CardContent } from "@/components/ui/card";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { useApplications } from "@/features/applications/use-application-names";
import { formatNumber } from "@/lib/format";
import { filterInstances, formatSort, parseSort } from "./filter";
import { InstanceTable } from "./instance-table";
import type { InstancesSearch } from "./search";
import { useFleet } from "./use-fleet";

const route = getRouteApi("/app/instances");
const ALL = "all";

export function InstancesPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const fleet = useFleet();
  const applications = useApplications();

  const update = useCallback(
    (patch: Partial<InstancesSearch>) =>
      void navigate({ search: (s) => ({ ...s, ...patch }), replace: true }),
    [navigate],
  );
  const sorting = useMemo(() => parseSort(search.sort), [search.sort]);
  const rows = useMemo(
    () => filterInstances(fleet.data?.items ?? [], search, applications.byId),
    [fleet.data, search, applications.byId],
  );
  const online = useMemo(() => rows.filter((i) => i.online).length, [rows]);

  return (
    <>
      <PageHeader
        title={t("instances.title")}
        description={t("instances.subtitle")}
        actions={
          fleet.data ? (
            <p
              className="text-sm text-muted-foreground"
              role="status"
              data-testid="instance-counts"
            >
              {t("instances.counts", {
                shown: formatNumber(rows.length),
                online: formatNumber(online),
                offline: formatNumber(rows.length - online),
              })}
            </p>
          ) : null
        }
      />
      <Card>
        <CardContent className="pt-5">
          <div className="mb-4 flex flex-wrap gap-2">
            <SearchInput
              className="w-full max-w-xs"
              label={t("instances.searchLabel")}
              value={search.q ?? ""}
              onChange={(q) => update({ q: q || undefined })}
            />
            <Select
              value={search.online ?? ALL}
              onValueChange={(v) =>
                update({ online: v === ALL ? undefined : (v as "online" | "offline") })
              }
            >
              <SelectTrigger className="w-36" aria-label={t("instances.state")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("instances.anyState")}</SelectItem>
                <SelectItem value="online">{t("instances.online")}</SelectItem>
                <SelectItem value="offline">{t("instances.offline")}</SelectItem>
              </SelectContent>
            </Select>
            <StatusFilter value={search.status} onChange={(status) => update({ status })} />
            <Select
              value={search.application ?? ALL}
              onValueChange={(v) => update({ application: v === ALL ? undefined : v })}
            >
              <SelectTrigger className="w-52" aria-label={t("instances.application")}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>{t("instances.allApplications")}</SelectItem>
                {(applications.data ?? []).map((app) => (
                  <SelectItem key={app.id} value={app.id}>
                    {app.name}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
          {fleet.isPending ? (
            <div className="grid gap-2">
              {fleet.progress && fleet.progress.total > 0 ? (
                <div className="grid gap-1">
                  <p className="text-sm text-muted-foreground">
                    {t("instances.loadingProgress", {
                      loaded: formatNumber(fleet.progress.loaded),
                      total: formatNumber(fleet.progress.total),
                    })}
                  </p>
                  <progress
                    className="h-1.5 w-full overflow-hidden rounded-full [&::-webkit-progress-bar]:bg-muted [&::-webkit-progress-value]:bg-primary"
                    max={fleet.progress.total}
                    value={fleet.progress.loaded}
                    aria-label={t("common.loading")}
                  />
                </div>
              ) : null}
              <LoadingState rows={8} />
            </div>
          ) : fleet.isError ? (
            <ErrorState error={fleet.error} onRetry={() => void fleet.refetch()} />
          ) : fleet.data.items.length === 0 ? (
            <EmptyState title={t("instances.empty")} description={t("instances.emptyHint")} />
          ) : rows.length === 0 ? (
            <EmptyState title={t("common.noMatches")} />
          ) : (
            <InstanceTable
              instances={rows}
              applications={applications.byId}
              sorting={sorting}
              onSortingChange={(next: SortingState) => update({ sort: formatSort(next) })}
            />
          )}
        </CardContent>
      </Card>
    </>
  );
}
