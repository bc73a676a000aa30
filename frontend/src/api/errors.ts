import type { TFunction } from "i18next";
import type { FieldError, Problem } from "./types";

/** A failed API call: the HTTP status, the server's problem document and `Retry-After`. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  /** Seconds to wait before trying again (429 and 503 answers), when the server said. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, problem: Problem | null, retryAfterSeconds: number | null = null) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get fieldErrors(): FieldError[] {
    return this.problem?.errors ?? [];
  }

  /** Status 0: the request never got an answer (network down, server unreachable). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.status === "number" && typeof candidate.title === "string";
}

/** `Retry-After` as whole seconds: either a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Builds the error of a failed response from its status, headers and (parsed) body. */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  const problem = isProblem(body) ? body : null;
  return new ApiError(
    response.status,
    problem,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

/**
 * What to tell a person about a failed call. The server's `detail` is shown as it is (it is
 * written for people); a lead-in by status is translated.
 */
export function errorMessage(error: unknown, t: TFunction): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error && error.message ? error.message : t("errors.unexpected");
  }
  if (error.isNetworkError) return t("errors.network");
  const detail = error.problem?.detail;
  if (error.status === 429) {
    const wait =
      error.retryAfterSeconds !== null
        ? t("errors.retryIn", { count: error.retryAfterSeconds })
        : t("errors.retryLater");
    return detail ? `${detail}. ${wait}` : `${t("errors.throttled")} ${wait}`;
  }
  if (detail) {
    if (error.status === 422 && error.fieldErrors.length > 0) {
      const fields = error.fieldErrors.map((f) => `${f.field}: ${f.message}`).join("; ");
      return `${detail} (${fields})`;
    }
    return detail;
  }
  if (error.status === 401) return t("errors.unauthorized");
  if (error.status === 403) return t("errors.forbidden");
  if (error.status === 404) return t("errors.notFound");
  if (error.status >= 500) return t("errors.server");
  return error.problem?.title ?? t("errors.unexpected");
}

/** The server's request id, to quote when reporting a problem. */
export function requestIdOf(error: unknown): string | null {
  return error instanceof ApiError ? (error.problem?.request_id ?? null) : null;
}
