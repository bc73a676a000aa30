import { api, cleanQuery, fetchBlob, unwrap } from "@/api";
import type { LogsSearch } from "./search";

/** The API's filters from the page's search parameters. */
export function logFilters(search: LogsSearch) {
  return cleanQuery({
    level: search.level,
    source: search.source,
    application_id: search.application_id,
    instance_id: search.instance_id,
    trace_id: search.trace_id,
    q: search.q,
    from: search.from,
    to: search.to,
  });
}

export const listLogs = (search: LogsSearch, page: number, per_page: number) =>
  unwrap(api.GET("/api/v1/logs", { params: { query: { ...logFilters(search), page, per_page } } }));

/** Every matching line as CSV (streamed by the server). */
export const exportLogs = (search: LogsSearch) =>
  fetchBlob("/api/v1/logs/export", logFilters(search));
