import { describe, expect, it, vi } from "vitest";
import { createSessionExpiredHandler, safeRedirect } from "@/features/auth/expiry";
import { i18n } from "@/test/i18n";
import { createApiClient, unwrap } from "./client";
import { ApiError, apiErrorFrom, errorMessage, parseRetryAfter } from "./errors";

const t = i18n.t;

function problem(status: number, detail?: string, extra: object = {}) {
  return { type: "about:blank", title: "Error", status, detail, request_id: "req-1", ...extra };
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

describe("problem documents", () => {
  it("show the server's detail as it is", () => {
    const error = new ApiError(409, problem(409, "a project with code 'web' already exists"));
    expect(errorMessage(error, t)).toBe("a project with code 'web' already exists");
  });

  it("list invalid fields of a 422", () => {
    const error = new ApiError(
      422,
      problem(422, "the request has invalid fields", {
        errors: [{ field: "code", code: "format", message: "use lower-case letters" }],
      }),
    );
    expect(errorMessage(error, t)).toBe(
      "the request has invalid fields (code: use lower-case letters)",
    );
  });

  it("add the wait of a throttled answer", () => {
    const response = answer(429, problem(429, "too many sign-in attempts"), {
      "retry-after": "42",
    });
    const error = apiErrorFrom(response, problem(429, "too many sign-in attempts"));
    expect(error.retryAfterSeconds).toBe(42);
    expect(errorMessage(error, t)).toBe("too many sign-in attempts. Try again in 42 seconds.");
  });

  it("fall back to a message by status when there is no detail", () => {
    expect(errorMessage(new ApiError(500, problem(500)), t)).toBe(
      "The server had a problem. Try again in a moment.",
    );
    expect(errorMessage(new ApiError(0, null), t)).toMatch(/could not be reached/);
    expect(errorMessage(new ApiError(403, null), t)).toBe("Your roles do not allow this.");
  });

  it("read Retry-After as seconds or as a date", () => {
    expect(parseRetryAfter("5")).toBe(5);
    expect(parseRetryAfter(null)).toBeNull();
    const now = Date.parse("2026-12-03T10:00:00Z");
    expect(parseRetryAfter("Thu, 03 Dec 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("the API client", () => {
  it("sends the session's token and turns failures into ApiError", async () => {
    const fetch = vi.fn((request: Request) => {
      expect(request.headers.get("authorization")).toBe("Bearer tok");
      return Promise.resolve(answer(404, problem(404, "project not found")));
    });
    const client = createApiClient({
      baseUrl: "http://console.test",
      getToken: () => "tok",
      onUnauthorized: vi.fn(),
      fetch: fetch as unknown as typeof globalThis.fetch,
    });
    const call = unwrap(client.GET("/api/v1/projects/{id}", { params: { path: { id: "x" } } }));
    await expect(call).rejects.toMatchObject({ status: 404, message: "project not found" });
  });

  it("reports an ended session (401 on a signed-in call), but not a failed sign-in", async () => {
    const onUnauthorized = vi.fn();
    const client = createApiClient({
      baseUrl: "http://console.test",
      getToken: () => "expired",
      onUnauthorized,
      fetch: () => Promise.resolve(answer(401, problem(401, "the access token is invalid"))),
    });
    await expect(unwrap(client.GET("/api/v1/auth/me"))).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(
      unwrap(client.POST("/api/v1/auth/login", { body: { username: "a", password: "b" } })),
    ).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("maps a request that never got an answer to status 0", async () => {
    const client = createApiClient({
      baseUrl: "http://console.test",
      getToken: () => null,
      onUnauthorized: vi.fn(),
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
    });
    await expect(unwrap(client.GET("/api/v1/roles"))).rejects.toMatchObject({ status: 0 });
  });
});

describe("an expired session", () => {
  it("returns to sign-in, remembering the page", () => {
    const navigate = vi.fn();
    const clear = vi.fn();
    const handler = createSessionExpiredHandler({
      currentHref: () => "/instances?online=offline&sort=cpu:desc",
      clear,
      navigate,
    });
    handler();
    expect(clear).toHaveBeenCalled();
    expect(navigate).toHaveBeenCalledWith({
      redirect: "/instances?online=offline&sort=cpu:desc",
      reason: "expired",
    });
  });

  it("does nothing on the sign-in page itself", () => {
    const navigate = vi.fn();
    createSessionExpiredHandler({
      currentHref: () => "/sign-in?redirect=%2F",
      clear: vi.fn(),
      navigate,
    })();
    expect(navigate).not.toHaveBeenCalled();
  });

  it("only ever sends the user back into the console", () => {
    expect(safeRedirect("/tasks/1")).toBe("/tasks/1");
    expect(safeRedirect("https://evil.example")).toBe("/");
    expect(safeRedirect("//evil.example/x")).toBe("/");
    expect(safeRedirect("/\\evil.example")).toBe("/");
    expect(safeRedirect("/sign-in?redirect=/x")).toBe("/");
    expect(safeRedirect(undefined)).toBe("/");
  });
});
