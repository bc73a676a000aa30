import type { Permission, Role } from "@/api/types";

/** What each built-in role may do (the server's catalogue; it enforces the same rules). */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ["read_fleet", "manage_fleet", "manage_users", "read_audit"],
  operator: ["read_fleet", "manage_fleet"],
  viewer: ["read_fleet"],
};

export function can(roles: readonly Role[] | undefined, permission: Permission): boolean {
  return (roles ?? []).some((role) => ROLE_PERMISSIONS[role].includes(permission));
}
