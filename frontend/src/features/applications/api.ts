import { api, cleanQuery, fetchAllPages, unwrap } from "@/api";
import type { components } from "@/api/schema";
import type { Application, Status } from "@/api/types";

export interface ApplicationListParams {
  q?: string | undefined;
  status?: Status | undefined;
  project_id?: string | undefined;
  page?: number | undefined;
  per_page?: number | undefined;
}

export const listApplications = (params: ApplicationListParams) =>
  unwrap(api.GET("/api/v1/applications", { params: { query: cleanQuery(params) } }));

export const getApplication = (id: string) =>
  unwrap(api.GET("/api/v1/applications/{id}", { params: { path: { id } } }));

export const createApplication = (body: components["schemas"]["CreateApplication"]) =>
  unwrap(api.POST("/api/v1/applications", { body }));

export const updateApplication = (id: string, body: components["schemas"]["UpdateApplication"]) =>
  unwrap(api.PATCH("/api/v1/applications/{id}", { params: { path: { id } }, body }));

export const deleteApplication = (id: string) =>
  unwrap(api.DELETE("/api/v1/applications/{id}", { params: { path: { id } } }));

export const issueAgentToken = (id: string) =>
  unwrap(api.POST("/api/v1/applications/{id}/agent-token", { params: { path: { id } } }));

/** Every application, for pickers and name lookups. */
export const fetchApplicationOptions = async (): Promise<Application[]> =>
  (await fetchAllPages((page, per_page) => listApplications({ page, per_page }), { limit: 5000 }))
    .items;
