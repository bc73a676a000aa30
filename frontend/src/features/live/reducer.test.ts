import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { queryKeys } from "@/api/query-keys";
import type { Instance, Page, Task, TaskRecord } from "@/api/types";
import { backoffDelay } from "./connection";
import { parseLiveEvent, type LiveEvent } from "./events";
import { addInstances, applyLiveEvents, instancePatches, moveRecordCounts } from "./reducer";

const AT = "2026-12-03T10:00:00Z";

function instance(id: string, patch: Partial<Instance> = {}): Instance {
  return {
    id,
    application_id: "app",
    agent_instance_id: id,
    hostname: `host-${id}`,
    os_type: "linux",
    agent_version: "1.0.0",
    cpu_usage_percent: 1,
    memory_usage_percent: 2,
    disk_usage_percent: 3,
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
    status: "active",
    online: true,
    first_report_at: AT,
    last_report_at: AT,
    report_count: 10,
    created_at: AT,
    updated_at: AT,
    ...patch,
  };
}

function record(id: string, status: TaskRecord["status"]): TaskRecord {
  return {
    id,
    task_id: "task",
    instance_id: `i-${id}`,
    status,
    attempt: 1,
    output_truncated: false,
    updated_at: AT,
  };
}

const offline = (id: string): LiveEvent => ({
  type: "instance.offline",
  instance_id: id,
  at: "2026-12-03T10:05:00Z",
});
const online = (id: string): LiveEvent => ({
  type: "instance.online",
  instance_id: id,
  application_id: "app",
  at: AT,
});
const report = (id: string, cpu: number): LiveEvent => ({
  type: "instance.report",
  instance_id: id,
  application_id: "app",
  cpu_usage_percent: cpu,
  memory_usage_percent: 50,
  disk_usage_percent: 70,
  at: "2026-12-03T10:06:00Z",
});
const updated = (recordId: string, status: TaskRecord["status"]): LiveEvent => ({
  type: "task.updated",
  task_id: "task",
  record_id: recordId,
  instance_id: `i-${recordId}`,
  status,
  at: "2026-12-03T10:07:00Z",
});

describe("parsing", () => {
  it("accepts the server's four events and ignores anything else", () => {
    expect(parseLiveEvent(JSON.stringify(offline("a")))).toEqual(offline("a"));
    expect(parseLiveEvent(report("a", 5))).toEqual(report("a", 5));
    expect(parseLiveEvent(updated("r", "running"))).toEqual(updated("r", "running"));
    expect(parseLiveEvent("{not json")).toBeNull();
    expect(parseLiveEvent({ type: "instance.deleted", instance_id: "a", at: AT })).toBeNull();
    expect(parseLiveEvent({ ...updated("r", "running"), status: "exploded" })).toBeNull();
  });
});

describe("folding a batch", () => {
  it("keeps the last state of each instance and counts its reports", () => {
    const patches = instancePatches([
      offline("a"),
      report("a", 9),
      report("a", 11),
      online("b"),
      offline("b"),
    ]);
    expect(patches.get("a")).toMatchObject({
      online: true,
      offline_at: null,
      cpu_usage_percent: 11,
      reports: 2,
    });
    expect(patches.get("b")).toMatchObject({
      online: false,
      offline_at: "2026-12-03T10:05:00Z",
      reports: 0,
    });
  });
});

describe("applying events to the cache", () => {
  it("moves instances online and offline in the fleet list, pages and details", () => {
    const client = new QueryClient();
    client.setQueryData(queryKeys.instances.fleet, {
      items: [instance("a"), instance("b")],
      total: 2,
    });
    const page: Page<Instance> = { items: [instance("a")], total: 1, page: 1, per_page: 10 };
    client.setQueryData(queryKeys.instances.page({ application_id: "app" }), page);
    client.setQueryData(queryKeys.instances.detail("a"), instance("a"));

    const effects = applyLiveEvents(client, [offline("a"), report("b", 42)]);

    const fleet = client.getQueryData<{ items: Instance[] }>(queryKeys.instances.fleet);
    expect(fleet?.items[0]).toMatchObject({
      id: "a",
      online: false,
      offline_at: "2026-12-03T10:05:00Z",
    });
    expect(fleet?.items[1]).toMatchObject({ id: "b", cpu_usage_percent: 42, report_count: 11 });
    expect(
      client.getQueryData<Page<Instance>>(queryKeys.instances.page({ application_id: "app" }))
        ?.items[0]?.online,
    ).toBe(false);
    expect(client.getQueryData<Instance>(queryKeys.instances.detail("a"))?.online).toBe(false);
    expect(effects.presenceChanged).toBe(true);
    expect(effects.unknownInstances).toEqual([]);
  });

  it("leaves untouched lists as they were", () => {
    const client = new QueryClient();
    const data = { items: [instance("a")], total: 1 };
    client.setQueryData(queryKeys.instances.fleet, data);
    applyLiveEvents(client, [report("zzz", 1)]);
    expect(client.getQueryData(queryKeys.instances.fleet)).toBe(data);
  });

  it("notices instances that came online without being listed (new registrations)", () => {
    const client = new QueryClient();
    client.setQueryData(queryKeys.instances.fleet, { items: [instance("a")], total: 1 });
    expect(applyLiveEvents(client, [online("new"), online("new")]).unknownInstances).toEqual([
      "new",
    ]);
    expect(applyLiveEvents(client, [online("a")]).unknownInstances).toEqual([]);
    const fleet = { items: [instance("a")], total: 1 };
    const grown = addInstances(fleet, [instance("a"), instance("new")]);
    expect(grown.items.map((i) => i.id)).toEqual(["a", "new"]);
    expect(grown.total).toBe(2);
    expect(addInstances(fleet, [instance("a")])).toBe(fleet);
  });

  it("updates task records and the task's counts, and asks for outputs of finished ones", () => {
    const client = new QueryClient();
    const records: Page<TaskRecord> = {
      items: [record("r1", "running"), record("r2", "pending")],
      total: 2,
      page: 1,
      per_page: 50,
    };
    client.setQueryData(queryKeys.tasks.records("task", { page: 1 }), records);
    client.setQueryData<Partial<Task>>(queryKeys.tasks.detail("task"), {
      id: "task",
      records: { running: 1, pending: 1 },
    });

    const effects = applyLiveEvents(client, [
      updated("r1", "succeeded"),
      updated("r2", "dispatched"),
    ]);

    const after = client.getQueryData<Page<TaskRecord>>(
      queryKeys.tasks.records("task", { page: 1 }),
    );
    expect(after?.items.map((r) => r.status)).toEqual(["succeeded", "dispatched"]);
    expect(client.getQueryData<Task>(queryKeys.tasks.detail("task"))?.records).toEqual({
      succeeded: 1,
      dispatched: 1,
    });
    expect(effects.tasks.get("task")).toEqual({ finished: true, unknownRecords: false });
  });

  it("flags records it has not seen", () => {
    const client = new QueryClient();
    expect(applyLiveEvents(client, [updated("r9", "running")]).tasks.get("task")).toEqual({
      finished: false,
      unknownRecords: true,
    });
  });

  it("counts record moves without going below zero", () => {
    expect(moveRecordCounts({ pending: 1 }, [{ from: "running", to: "failed" }])).toEqual({
      pending: 1,
      failed: 1,
    });
  });
});

describe("reconnecting", () => {
  it("backs off exponentially up to 30 s, with jitter", () => {
    expect(backoffDelay(0, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(8000);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(2, () => 0)).toBe(2000);
  });
});
