/** Whether any filter of a page's search parameters is set. */
export function hasFilters(filters: Record<string, unknown>): boolean {
  return Object.values(filters).some((value) => value !== undefined && value !== "");
}
