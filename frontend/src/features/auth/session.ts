import type { User } from "@/api/types";

/** A signed-in session: the bearer token, when it lapses, and who it belongs to. */
export interface Session {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  user: User;
}

const STORAGE_KEY = "monihub.session";
const listeners = new Set<() => void>();
let current: Session | null = load();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (
      typeof parsed.token !== "string" ||
      typeof parsed.expiresAt !== "number" ||
      typeof parsed.user !== "object"
    ) {
      return null;
    }
    return parsed.expiresAt > Date.now() ? (parsed as Session) : null;
  } catch {
    return null;
  }
}

function save(session: Session | null): void {
  try {
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Without storage the session lasts as long as the page.
  }
}

function emit(): void {
  for (const listener of listeners) listener();
}

/** The live session, or null once signed out or expired. */
export function getSession(): Session | null {
  if (current && current.expiresAt <= Date.now()) {
    current = null;
    save(null);
  }
  return current;
}

export function setSession(session: Session): void {
  current = session;
  save(session);
  emit();
}

/** Replaces the signed-in user (fresh roles from `/auth/me`), keeping the token. */
export function updateSessionUser(user: User): void {
  if (!current) return;
  current = { ...current, user };
  save(current);
  emit();
}

export type EndReason = "signed-out" | "expired" | "elsewhere";
let endReason: EndReason = "elsewhere";

/** Why the last session ended: signed out here, expired (a 401), or elsewhere (another tab). */
export function lastEndReason(): EndReason {
  return endReason;
}

export function clearSession(reason: EndReason = "elsewhere"): void {
  if (current === null) return;
  endReason = reason;
  current = null;
  save(null);
  emit();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Signing in or out in another tab applies here too.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY) return;
    endReason = "elsewhere";
    current = load();
    emit();
  });
}
