import { api, cleanQuery, fetchAllPages, unwrap } from "@/api";
import type { components } from "@/api/schema";
import type { Project, Status } from "@/api/types";

export interface ListParams {
  q?: string | undefined;
  status?: Status | undefined;
  page?: number | undefined;
  per_page?: number | undefined;
}

export const listProjects = (params: ListParams) =>
  unwrap(api.GET("/api/v1/projects", { params: { query: cleanQuery(params) } }));

export const getProject = (id: string) =>
  unwrap(api.GET("/api/v1/projects/{id}", { params: { path: { id } } }));

export const createProject = (body: components["schemas"]["CreateProject"]) =>
  unwrap(api.POST("/api/v1/projects", { body }));

export const updateProject = (id: string, body: components["schemas"]["UpdateProject"]) =>
  unwrap(api.PATCH("/api/v1/projects/{id}", { params: { path: { id } }, body }));

export const deleteProject = (id: string) =>
  unwrap(api.DELETE("/api/v1/projects/{id}", { params: { path: { id } } }));

/** Every project, for pickers and name lookups. */
export const fetchProjectOptions = async (): Promise<Project[]> =>
  (await fetchAllPages((page, per_page) => listProjects({ page, per_page }), { limit: 2000 }))
    .items;
