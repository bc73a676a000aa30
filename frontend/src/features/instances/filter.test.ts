import { describe, expect, it } from "vitest";
import type { Application, Instance } from "@/api/types";
import { filterInstances, formatSort, parseSort, sortInstances } from "./filter";

function instance(n: number, patch: Partial<Instance> = {}): Instance {
  return {
    id: `id-${n}`,
    application_id: n % 2 === 0 ? "even" : "odd",
    agent_instance_id: `agent-${n}`,
    hostname: `host-${String(n).padStart(5, "0")}`,
    ip_address: `10.0.${Math.floor(n / 256)}.${n % 256}`,
    os_type: "linux",
    agent_version: "1.0.0",
    cpu_usage_percent: (n * 37) % 100,
    memory_usage_percent: 50,
    disk_usage_percent: 50,
    memory_total_bytes: 1,
    disk_total_bytes: 1,
    environment: {},
    custom_fields: {},
    config: {
      report_interval_seconds: 30,
      long_poll_seconds: 30,
      tasks_enabled: true,
      log_level: "info",
    },
    status: n % 10 === 0 ? "disabled" : "active",
    online: n % 3 !== 0,
    first_report_at: "2026-12-03T10:00:00Z",
    last_report_at: "2026-12-03T10:00:00Z",
    report_count: 1,
    created_at: "2026-12-03T10:00:00Z",
    updated_at: "2026-12-03T10:00:00Z",
    ...patch,
  };
}

const apps = new Map<string, Application>([
  [
    "even",
    {
      id: "even",
      project_id: "p1",
      name: "Even",
      code: "even",
      status: "active",
      tech_stacks: [],
      created_at: "",
      updated_at: "",
    },
  ],
  [
    "odd",
    {
      id: "odd",
      project_id: "p2",
      name: "Odd",
      code: "odd",
      status: "active",
      tech_stacks: [],
      created_at: "",
      updated_at: "",
    },
  ],
]);

const fleet = Array.from({ length: 10_000 }, (_, n) => instance(n));

describe("filtering the fleet", () => {
  it("combines text, state, status, application and project", () => {
    expect(filterInstances(fleet, { q: "HOST-0004" }, apps)).toHaveLength(10);
    expect(filterInstances(fleet, { q: "10.0.1.255" }, apps).map((i) => i.id)).toEqual(["id-511"]);
    const offlineOdd = filterInstances(fleet, { online: "offline", project: "p2" }, apps);
    expect(offlineOdd.every((i) => !i.online && i.application_id === "odd")).toBe(true);
    expect(filterInstances(fleet, { status: "disabled", application: "even" }, apps)).toHaveLength(
      1000,
    );
  });
});

describe("sorting the fleet", () => {
  it("sorts ten thousand rows by a column, either way, keeping ties stable", () => {
    const started = performance.now();
    const byCpu = sortInstances(fleet, [{ id: "cpu", desc: true }], apps);
    expect(performance.now() - started).toBeLessThan(500);
    expect(byCpu[0]?.cpu_usage_percent).toBe(99);
    const ties = byCpu.filter((i) => i.cpu_usage_percent === 99).map((i) => i.id);
    expect(ties.slice(0, 2)).toEqual(["id-27", "id-127"]);
    const byApp = sortInstances(fleet, [{ id: "application", desc: false }], apps);
    expect(byApp[0]?.application_id).toBe("even");
    expect(byApp.at(-1)?.application_id).toBe("odd");
  });

  it("keeps the server's order without a known sort column", () => {
    expect(sortInstances(fleet, [], apps)).toBe(fleet);
    expect(sortInstances(fleet, [{ id: "nope", desc: false }], apps)).toBe(fleet);
  });

  it("round-trips the sort through the URL", () => {
    expect(parseSort("cpu:desc")).toEqual([{ id: "cpu", desc: true }]);
    expect(formatSort([{ id: "hostname", desc: false }])).toBe("hostname:asc");
    expect(parseSort(undefined)).toEqual([]);
    expect(formatSort([])).toBeUndefined();
  });
});
