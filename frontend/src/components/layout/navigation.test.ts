import { describe, expect, it } from "vitest";
import { can } from "@/features/auth/permissions";
import { visibleNavItems } from "./navigation";

const paths = (roles: Parameters<typeof visibleNavItems>[0]) =>
  visibleNavItems(roles).map((item) => item.to);

describe("the menu", () => {
  it("shows administrators everything", () => {
    expect(paths(["admin"])).toEqual([
      "/",
      "/projects",
      "/applications",
      "/instances",
      "/tasks",
      "/logs",
      "/audit",
      "/users",
      "/roles",
    ]);
  });

  it("hides users, roles and the audit log from operators and viewers", () => {
    const fleet = ["/", "/projects", "/applications", "/instances", "/tasks", "/logs"];
    expect(paths(["operator"])).toEqual(fleet);
    expect(paths(["viewer"])).toEqual(fleet);
  });

  it("shows nothing to a user without roles, and the union of several roles", () => {
    expect(paths([])).toEqual([]);
    expect(paths(undefined)).toEqual([]);
    expect(paths(["viewer", "admin"])).toContain("/users");
  });

  it("lets only operators and admins change the fleet", () => {
    expect(can(["viewer"], "manage_fleet")).toBe(false);
    expect(can(["operator"], "manage_fleet")).toBe(true);
    expect(can(["operator"], "manage_users")).toBe(false);
    expect(can(["admin"], "read_audit")).toBe(true);
  });
});
