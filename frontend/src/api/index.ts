import { getSession } from "@/features/auth/session";
import { createApiClient } from "./client";
import { ApiError, apiErrorFrom } from "./errors";
import type { Page } from "./types";

export { unwrap } from "./client";
export { ApiError, errorMessage } from "./errors";

let unauthorizedHandler: () => void = () => undefined;

/** Decides what happens when the session turns out to have ended (set once by the router). */
export function setUnauthorizedHandler(handler: () => void): void {
  unauthorizedHandler = handler;
}

/** The console's API client: relative `/api/v1/…` calls carrying the session's token. */
export const api = createApiClient({
  getToken: () => getSession()?.token ?? null,
  onUnauthorized: () => unauthorizedHandler(),
});

/** Query parameters without the empty ones. */
export function cleanQuery<T extends object>(query: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(query) as [keyof T, T[keyof T]][]) {
    if (value === undefined || value === null || value === "") continue;
    out[key] = value;
  }
  return out;
}

/** GETs a non-JSON resource (a CSV export) with the session's token, as a Blob. */
export async function fetchBlob(path: string, query: Record<string, string>): Promise<Blob> {
  const url = new URL(path, globalThis.location.origin);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const token = getSession()?.token;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    if (response.status === 401 && token) unauthorizedHandler();
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not a problem document.
    }
    throw apiErrorFrom(response, body);
  }
  return response.blob();
}

export interface FetchAllOptions {
  perPage?: number;
  /** Pages fetched side by side after the first. */
  concurrency?: number;
  /** Stop after this many items. */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (loaded: number, total: number) => void;
}

/**
 * Every item of a paginated list: the first page tells the total, the rest are fetched a few at a
 * time. Items come back in the server's order.
 */
export async function fetchAllPages<T>(
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>,
  { perPage = 200, concurrency = 4, limit = 50_000, signal, onProgress }: FetchAllOptions = {},
): Promise<{ items: T[]; total: number }> {
  const first = await fetchPage(1, perPage);
  const total = first.total;
  const wanted = Math.min(total, limit);
  const pageCount = Math.max(1, Math.ceil(wanted / perPage));
  const pages: T[][] = [first.items];
  let loaded = first.items.length;
  onProgress?.(loaded, wanted);
  let next = 2;
  const worker = async () => {
    while (next <= pageCount) {
      signal?.throwIfAborted();
      const page = next++;
      const result = await fetchPage(page, perPage);
      pages[page - 1] = result.items;
      loaded += result.items.length;
      onProgress?.(Math.min(loaded, wanted), wanted);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pageCount - 1) }, worker));
  const items = pages.flat().slice(0, wanted);
  return { items, total };
}
