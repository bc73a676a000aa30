import createClient, { type Client, type Middleware } from "openapi-fetch";
import { ApiError, apiErrorFrom } from "./errors";
import type { paths } from "./schema";

export type ApiClient = Client<paths>;

export interface ClientOptions {
  /** The bearer token to send, if any. */
  getToken: () => string | null;
  /** Called when a call made with a token is answered 401: the session has ended. */
  onUnauthorized: () => void;
  fetch?: typeof globalThis.fetch;
  baseUrl?: string;
}

const LOGIN_PATH = "/api/v1/auth/login";

function authMiddleware(options: ClientOptions): Middleware {
  const authenticated = new WeakSet<Request>();
  return {
    onRequest({ request }) {
      const token = options.getToken();
      if (token) {
        request.headers.set("Authorization", `Bearer ${token}`);
        authenticated.add(request);
      }
      return request;
    },
    onResponse({ request, response }) {
      const path = new URL(request.url).pathname;
      if (response.status === 401 && authenticated.has(request) && path !== LOGIN_PATH) {
        options.onUnauthorized();
      }
      return response;
    },
  };
}

/** A typed client of the API at the page's own origin (relative `/api/v1/…` URLs). */
export function createApiClient(options: ClientOptions): ApiClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? globalThis.location.origin,
    fetch: options.fetch ?? ((input: Request) => globalThis.fetch(input)),
  });
  client.use(authMiddleware(options));
  return client;
}

interface CallResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** Awaits a call and returns its body, or throws an {@link ApiError} (status 0: no answer). */
export async function unwrap<D>(call: Promise<CallResult<D>>): Promise<D> {
  let result: CallResult<D>;
  try {
    result = await call;
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, null);
  }
  if (result.error !== undefined || !result.response.ok) {
    throw apiErrorFrom(result.response, result.error);
  }
  return result.data as D;
}
