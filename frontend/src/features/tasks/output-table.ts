export interface OutputTable {
  columns: string[];
  rows: unknown[][];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A table view of output that is JSON: an array of objects (one row each, columns from their
 * keys), an array of values (one column), or a single object (key and value). Null otherwise.
 */
export function outputAsTable(output: string | null | undefined): OutputTable | null {
  if (!output) return null;
  const trimmed = output.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (Array.isArray(value)) {
    const list: unknown[] = value;
    if (list.length === 0) return null;
    if (list.every(isPlainObject)) {
      const columns: string[] = [];
      for (const row of list) {
        for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
      }
      return { columns, rows: list.map((row) => columns.map((c) => row[c])) };
    }
    return { columns: ["value"], rows: list.map((v) => [v]) };
  }
  if (isPlainObject(value)) {
    return { columns: ["key", "value"], rows: Object.entries(value) };
  }
  return null;
}

/** A cell as text: strings as they are, everything else as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
