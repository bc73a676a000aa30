import type { TFunction } from "i18next";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ApiError } from "@/api/errors";

const SEPARATOR = "|";

/**
 * A validation message as a translation key with parameters, e.g. `msg("validation.max",
 * {max: 128})`. Schemas stay free of the current language; fields translate when they render.
 */
export function msg(key: string, params?: Record<string, string | number>): string {
  return params ? `${key}${SEPARATOR}${JSON.stringify(params)}` : key;
}

/** Renders a message made by {@link msg}; other text (the server's) is shown as it is. */
export function translateMessage(t: TFunction, message: string): string {
  if (!message.startsWith("validation.")) return message;
  const at = message.indexOf(SEPARATOR);
  const key = at === -1 ? message : message.slice(0, at);
  let params: Record<string, unknown> = {};
  if (at !== -1) {
    try {
      params = JSON.parse(message.slice(at + 1)) as Record<string, unknown>;
    } catch {
      params = {};
    }
  }
  return t(key as "validation.required", params);
}

/**
 * Puts a 422's field errors on the form's fields. A server path such as `content.env.PATH` lands
 * on the deepest field the form has (`content.env`). Returns the errors no field could take.
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly string[],
  /** Turns a server path into the form's name for it (`config.x` → `x`). */
  mapPath: (path: string) => string = (path) => path,
): string[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  const known = new Set(fields);
  const unplaced: string[] = [];
  for (const fieldError of error.fieldErrors) {
    let path = mapPath(fieldError.field.replace(/\[(\d+)\]/g, ".$1"));
    while (path && !known.has(path)) {
      const cut = path.lastIndexOf(".");
      path = cut === -1 ? "" : path.slice(0, cut);
    }
    if (path) setError(path as Path<T>, { type: "server", message: fieldError.message });
    else unplaced.push(`${fieldError.field}: ${fieldError.message}`);
  }
  return unplaced;
}

/** Length as the server counts it: in characters (code points), not UTF-16 units. */
export function charCount(value: string): number {
  return Array.from(value).length;
}
