import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { queryKeys } from "@/api/query-keys";
import type { Application } from "@/api/types";
import { fetchApplicationOptions } from "./api";

/** Every application (cached for a minute), and a lookup by id. */
export function useApplications() {
  const query = useQuery({
    queryKey: queryKeys.applications.options,
    queryFn: fetchApplicationOptions,
    staleTime: 60_000,
  });
  const byId = useMemo(() => {
    const map = new Map<string, Application>();
    for (const app of query.data ?? []) map.set(app.id, app);
    return map;
  }, [query.data]);
  return { ...query, byId };
}
