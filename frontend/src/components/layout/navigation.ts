import {
  ActivityIcon,
  BoxesIcon,
  FolderKanbanIcon,
  LayoutDashboardIcon,
  ListChecksIcon,
  type LucideIcon,
  ScrollTextIcon,
  ServerIcon,
  ShieldCheckIcon,
  UsersIcon,
} from "lucide-react";
import type { Permission, Role } from "@/api/types";
import { can } from "@/features/auth/permissions";

export interface NavItem {
  to:
    | "/"
    | "/projects"
    | "/applications"
    | "/instances"
    | "/tasks"
    | "/logs"
    | "/audit"
    | "/users"
    | "/roles";
  label:
    | "nav.dashboard"
    | "nav.projects"
    | "nav.applications"
    | "nav.instances"
    | "nav.tasks"
    | "nav.logs"
    | "nav.audit"
    | "nav.users"
    | "nav.roles";
  icon: LucideIcon;
  /** The permission a role needs for the item to be shown. */
  permission: Permission;
  section: "fleet" | "admin";
}

export const NAV_ITEMS: readonly NavItem[] = [
  {
    to: "/",
    label: "nav.dashboard",
    icon: LayoutDashboardIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/projects",
    label: "nav.projects",
    icon: FolderKanbanIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/applications",
    label: "nav.applications",
    icon: BoxesIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/instances",
    label: "nav.instances",
    icon: ServerIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/tasks",
    label: "nav.tasks",
    icon: ListChecksIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/logs",
    label: "nav.logs",
    icon: ScrollTextIcon,
    permission: "read_fleet",
    section: "fleet",
  },
  {
    to: "/audit",
    label: "nav.audit",
    icon: ActivityIcon,
    permission: "read_audit",
    section: "admin",
  },
  {
    to: "/users",
    label: "nav.users",
    icon: UsersIcon,
    permission: "manage_users",
    section: "admin",
  },
  {
    to: "/roles",
    label: "nav.roles",
    icon: ShieldCheckIcon,
    permission: "manage_users",
    section: "admin",
  },
];

/** The menu entries the given roles may use; the rest are not shown at all. */
export function visibleNavItems(roles: readonly Role[] | undefined): NavItem[] {
  return NAV_ITEMS.filter((item) => can(roles, item.permission));
}
