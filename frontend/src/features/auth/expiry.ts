/** Where a sign-in may send the user afterwards: a path of this console, never another site. */
export function safeRedirect(value: unknown): string {
  if (typeof value !== "string") return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  if (value === "/sign-in" || value.startsWith("/sign-in?") || value.startsWith("/sign-in/")) {
    return "/";
  }
  return value;
}

export interface SignInTarget {
  redirect: string;
  reason?: "expired";
}

export interface ExpiryDeps {
  /** The page the user is on (path, query and hash). */
  currentHref: () => string;
  /** Forgets the session; false when it was already gone. */
  clear: () => void;
  navigate: (target: SignInTarget) => void;
}

/**
 * What happens when a call is answered 401: forget the session and go to the sign-in page,
 * remembering the page to come back to. Calls failing together lead to one navigation.
 */
export function createSessionExpiredHandler(deps: ExpiryDeps): () => void {
  return () => {
    const href = deps.currentHref();
    if (href === "/sign-in" || href.startsWith("/sign-in?")) return;
    deps.clear();
    deps.navigate({ redirect: safeRedirect(href), reason: "expired" });
  };
}
