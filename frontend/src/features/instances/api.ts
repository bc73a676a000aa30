import { api, cleanQuery, fetchAllPages, unwrap } from "@/api";
import type { AgentConfig, Instance, Status } from "@/api/types";

export interface InstanceListParams {
  application_id?: string | undefined;
  project_id?: string | undefined;
  online?: boolean | undefined;
  status?: Status | undefined;
  q?: string | undefined;
  page?: number | undefined;
  per_page?: number | undefined;
}

export const listInstances = (params: InstanceListParams) =>
  unwrap(api.GET("/api/v1/instances", { params: { query: cleanQuery(params) } }));

export const getInstance = (id: string) =>
  unwrap(api.GET("/api/v1/instances/{id}", { params: { path: { id } } }));

export const updateInstance = (
  id: string,
  body: { status?: Status | null; config?: AgentConfig | null },
) => unwrap(api.PATCH("/api/v1/instances/{id}", { params: { path: { id } }, body }));

export const deleteInstance = (id: string) =>
  unwrap(api.DELETE("/api/v1/instances/{id}", { params: { path: { id } } }));

export const getInstanceMetrics = (id: string, range: string) =>
  unwrap(api.GET("/api/v1/instances/{id}/metrics", { params: { path: { id }, query: { range } } }));

export const listReports = (
  id: string,
  query: { page?: number; per_page?: number; from?: string; to?: string },
) =>
  unwrap(
    api.GET("/api/v1/instances/{id}/reports", {
      params: { path: { id }, query: cleanQuery(query) },
    }),
  );

/** The whole fleet (up to 50,000 instances), fetched a few pages at a time. */
export const fetchFleet = (
  onProgress?: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<{ items: Instance[]; total: number }> =>
  fetchAllPages((page, per_page) => listInstances({ page, per_page }), {
    concurrency: 4,
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
  });
