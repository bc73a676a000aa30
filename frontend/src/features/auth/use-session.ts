import { useSyncExternalStore } from "react";
import type { Permission } from "@/api/types";
import { can } from "./permissions";
import { getSession, subscribeSession, type Session } from "./session";

export function useSession(): Session | null {
  return useSyncExternalStore(subscribeSession, getSession, () => null);
}

/** Whether the signed-in user's roles grant `permission`. */
export function useCan(permission: Permission): boolean {
  return can(useSession()?.user.roles, permission);
}
