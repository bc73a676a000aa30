import { api, cleanQuery, unwrap } from "@/api";
import type { CreateTask, RecordStatus } from "@/api/types";

export const listTasks = (query: { q?: string | undefined; page?: number; per_page?: number }) =>
  unwrap(api.GET("/api/v1/tasks", { params: { query: cleanQuery(query) } }));

export const getTask = (id: string) =>
  unwrap(api.GET("/api/v1/tasks/{id}", { params: { path: { id } } }));

export const createTask = (body: CreateTask) => unwrap(api.POST("/api/v1/tasks", { body }));

export const cancelTask = (id: string) =>
  unwrap(api.POST("/api/v1/tasks/{id}/cancel", { params: { path: { id } } }));

export const listTaskRecords = (
  id: string,
  query: { status?: RecordStatus | undefined; page?: number; per_page?: number },
) =>
  unwrap(
    api.GET("/api/v1/tasks/{id}/records", {
      params: { path: { id }, query: cleanQuery(query) },
    }),
  );

export const retryRecord = (id: string) =>
  unwrap(api.POST("/api/v1/task-records/{id}/retry", { params: { path: { id } } }));
