import { api, cleanQuery, unwrap } from "@/api";
import type { components } from "@/api/schema";
import type { Role, Status } from "@/api/types";

export const listUsers = (query: {
  q?: string | undefined;
  status?: Status | undefined;
  page?: number;
  per_page?: number;
}) => unwrap(api.GET("/api/v1/users", { params: { query: cleanQuery(query) } }));

export const createUser = (body: components["schemas"]["CreateUser"]) =>
  unwrap(api.POST("/api/v1/users", { body }));

export const updateUser = (id: string, body: components["schemas"]["UpdateUser"]) =>
  unwrap(api.PATCH("/api/v1/users/{id}", { params: { path: { id } }, body }));

export const setUserRoles = (id: string, roles: Role[]) =>
  unwrap(api.PUT("/api/v1/users/{id}/roles", { params: { path: { id } }, body: { roles } }));

export const unlockUser = (id: string) =>
  unwrap(api.POST("/api/v1/users/{id}/unlock", { params: { path: { id } } }));

export const deleteUser = (id: string) =>
  unwrap(api.DELETE("/api/v1/users/{id}", { params: { path: { id } } }));

export const listRoles = () => unwrap(api.GET("/api/v1/roles"));
