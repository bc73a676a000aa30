import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { XIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Instance } from "@/api/types";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { OnlineBadge } from "@/components/status-badges";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { useApplications } from "@/features/applications/use-application-names";
import { listInstances } from "@/features/instances/api";
import { cn } from "@/lib/utils";

const PER_PAGE = 50;
const ALL = "all";

/** Picks the instances a task runs on (active ones only, as the server requires). */
export function InstancePicker({
  value,
  onChange,
  invalid,
  describedBy,
}: {
  value: string[];
  onChange: (ids: string[]) => void;
  invalid: boolean;
  describedBy: string | undefined;
}) {
  const { t } = useTranslation();
  const applications = useApplications();
  const [q, setQ] = useState("");
  const [application, setApplication] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [names, setNames] = useState(() => new Map<string, string>());
  const params = {
    q,
    application_id: application,
    status: "active" as const,
    page,
    per_page: PER_PAGE,
  };
  const query = useQuery({
    queryKey: queryKeys.instances.page(params),
    queryFn: () => listInstances(params),
    placeholderData: keepPreviousData,
  });
  const selected = new Set(value);
  const remember = (instances: Instance[]) =>
    setNames((old) => {
      const next = new Map(old);
      for (const i of instances) next.set(i.id, i.hostname);
      return next;
    });
  const toggle = (instance: Instance, on: boolean) => {
    remember([instance]);
    onChange(on ? [...value, instance.id] : value.filter((id) => id !== instance.id));
  };
  const pageItems = query.data?.items ?? [];
  const allOnPage = pageItems.length > 0 && pageItems.every((i) => selected.has(i.id));
  const someOnPage = pageItems.some((i) => selected.has(i.id));

  return (
    <div
      className="grid gap-3 rounded-md border p-3 aria-invalid:border-destructive"
      role="group"
      aria-invalid={invalid}
      aria-describedby={describedBy}
      aria-label={t("tasks.targets")}
    >
      <div className="flex flex-wrap gap-2">
        <SearchInput
          className="w-full max-w-xs"
          label={t("instances.searchLabel")}
          value={q}
          onChange={(text) => {
            setQ(text);
            setPage(1);
          }}
        />
        <Select
          value={application ?? ALL}
          onValueChange={(v) => {
            setApplication(v === ALL ? undefined : v);
            setPage(1);
          }}
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
      {value.length > 0 ? (
        <div className="flex flex-wrap items-center gap-1.5" aria-live="polite">
          <span className="text-sm font-medium">
            {t("tasks.selectedCount", { count: value.length })}
          </span>
          {value.slice(0, 20).map((id) => (
            <Badge key={id} variant="secondary" className="pr-0.5">
              {names.get(id) ?? id.slice(0, 8)}
              <button
                type="button"
                className="rounded-sm p-0.5 hover:bg-muted-foreground/20 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                aria-label={t("tasks.unselect", { name: names.get(id) ?? id })}
                onClick={() => onChange(value.filter((v) => v !== id))}
              >
                <XIcon aria-hidden />
              </button>
            </Badge>
          ))}
          {value.length > 20 ? (
            <span className="text-xs text-muted-foreground">+{value.length - 20}</span>
          ) : null}
          <Button variant="link" size="sm" onClick={() => onChange([])}>
            {t("tasks.clearSelection")}
          </Button>
        </div>
      ) : null}
      {query.isPending ? (
        <LoadingState rows={3} />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : pageItems.length === 0 ? (
        <EmptyState title={t("tasks.noActiveInstances")} />
      ) : (
        <>
          <div
            className={cn(
              "max-h-80 overflow-auto rounded-md border transition-opacity",
              query.isPlaceholderData && "opacity-60",
            )}
            aria-busy={query.isPlaceholderData}
            data-testid="instance-choices"
          >
            <div className="flex items-center gap-3 border-b bg-muted/60 px-3 py-2 text-xs font-medium">
              <Checkbox
                id="pick-page"
                checked={allOnPage ? true : someOnPage ? "indeterminate" : false}
                onCheckedChange={(on) => {
                  remember(pageItems);
                  const ids = new Set(value);
                  for (const i of pageItems) {
                    if (on === true) ids.add(i.id);
                    else ids.delete(i.id);
                  }
                  onChange([...ids]);
                }}
              />
              <label htmlFor="pick-page">{t("tasks.selectPage")}</label>
            </div>
            <ul>
              {pageItems.map((instance) => (
                <li
                  key={instance.id}
                  className="flex items-center gap-3 border-b px-3 py-2 last:border-0"
                >
                  <Checkbox
                    id={`pick-${instance.id}`}
                    checked={selected.has(instance.id)}
                    onCheckedChange={(on) => toggle(instance, on === true)}
                  />
                  <label
                    htmlFor={`pick-${instance.id}`}
                    className="flex min-w-0 flex-1 items-center gap-2 text-sm"
                  >
                    <span className="truncate font-medium">{instance.hostname}</span>
                    <span className="truncate text-xs text-muted-foreground">
                      {applications.byId.get(instance.application_id)?.name}
                    </span>
                  </label>
                  <OnlineBadge online={instance.online} />
                </li>
              ))}
            </ul>
          </div>
          <Pagination
            page={page}
            perPage={PER_PAGE}
            total={query.data.total}
            onPageChange={setPage}
          />
        </>
      )}
    </div>
  );
}
