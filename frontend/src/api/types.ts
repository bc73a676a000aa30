import type { components } from "./schema";

type Schemas = components["schemas"];

export type Problem = Schemas["Problem"];
export type FieldError = Schemas["FieldError"];
export type User = Schemas["UserDto"];
export type Role = Schemas["Role"];
export type RoleInfo = Schemas["RoleDto"];
export type Permission = Schemas["Permission"];
export type Status = Schemas["Status"];
export type Project = Schemas["ProjectDto"];
export type Application = Schemas["ApplicationDto"];
export type TechStack = Schemas["TechStack"];
export type IssuedAgentToken = Schemas["IssuedAgentToken"];
export type Instance = Schemas["InstanceDto"];
export type AgentConfig = Schemas["AgentConfig"];
export type LogLevel = Schemas["LogLevel"];
export type LogSource = Schemas["LogSource"];
export type Report = Schemas["ReportDto"];
export type MetricSeries = Schemas["MetricSeries"];
export type MetricPoint = Schemas["MetricPoint"];
export type Task = Schemas["TaskDto"];
export type TaskContent = Schemas["TaskContent"];
export type TaskType = TaskContent["type"];
export type CreateTask = Schemas["CreateTask"];
export type TaskRecord = Schemas["TaskRecordDto"];
export type RecordStatus = Schemas["RecordStatus"];
export type HttpMethod = Schemas["HttpMethod"];
export type FileOperation = Schemas["FileOperation"];
export type LogLine = Schemas["LogDto"];
export type AuditRecord = Schemas["AuditRecordDto"];
export type AuditDetail = Schemas["AuditDetailDto"];
export type DiffEntry = Schemas["DiffEntry"];

/** The envelope of every list: `{items, total, page, per_page}`. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export const TASK_TYPES = [
  "shell_exec",
  "http_request",
  "run_code",
  "file_manager",
  "custom_command",
] as const satisfies readonly TaskType[];

export const RECORD_STATUSES = [
  "pending",
  "dispatched",
  "running",
  "succeeded",
  "failed",
  "timeout",
  "refused",
  "cancelled",
] as const satisfies readonly RecordStatus[];

/** Record statuses after which nothing changes unless someone retries. */
export const FINISHED_STATUSES: ReadonlySet<RecordStatus> = new Set([
  "succeeded",
  "failed",
  "timeout",
  "refused",
  "cancelled",
]);

export const LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
] as const satisfies readonly LogLevel[];

export const ROLES = ["admin", "operator", "viewer"] as const satisfies readonly Role[];
