import { api, cleanQuery, fetchAllPages, unwrap } from "@/api";
import type { AuditRecord } from "@/api/types";
import { toCsv } from "@/lib/csv";
import type { AuditSearch } from "./search";

export function auditFilters(search: AuditSearch) {
  return cleanQuery({
    actor: search.actor,
    action: search.action,
    resource_type: search.resource_type,
    resource_id: search.resource_id,
    from: search.from,
    to: search.to,
  });
}

export const listAudit = (search: AuditSearch, page: number, per_page: number) =>
  unwrap(
    api.GET("/api/v1/audit", { params: { query: { ...auditFilters(search), page, per_page } } }),
  );

export const getAuditRecord = (id: string) =>
  unwrap(api.GET("/api/v1/audit/{id}", { params: { path: { id } } }));

/** The most records one export holds. */
export const AUDIT_EXPORT_LIMIT = 10_000;

const COLUMNS = [
  "created_at",
  "actor_username",
  "actor_id",
  "action",
  "resource_type",
  "resource_id",
  "request_id",
  "id",
] as const satisfies readonly (keyof AuditRecord)[];

export function auditCsv(records: readonly AuditRecord[]): string {
  return toCsv(
    COLUMNS,
    records.map((r) => COLUMNS.map((c) => r[c] ?? "")),
  );
}

/** The matching records (newest first, up to the export limit) as CSV. */
export async function exportAudit(
  search: AuditSearch,
): Promise<{ csv: string; total: number; count: number }> {
  const { items, total } = await fetchAllPages(
    (page, per_page) => listAudit(search, page, per_page),
    {
      limit: AUDIT_EXPORT_LIMIT,
    },
  );
  return { csv: auditCsv(items), total, count: items.length };
}

/** The actions the server records, for the filter. */
export const AUDIT_ACTIONS = [
  "application.create",
  "application.delete",
  "application.rotate_agent_token",
  "application.update",
  "instance.delete",
  "instance.update",
  "project.create",
  "project.delete",
  "project.update",
  "session.login",
  "session.logout",
  "task.cancel",
  "task.create",
  "task_record.retry",
  "user.change_password",
  "user.create",
  "user.delete",
  "user.set_roles",
  "user.unlock",
  "user.update",
] as const;

export const RESOURCE_TYPES = [
  ...new Set(AUDIT_ACTIONS.map((a) => a.split(".")[0] ?? a)),
] as readonly string[];
