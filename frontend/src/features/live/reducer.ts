import type { QueryClient } from "@tanstack/react-query";
import { queryKeys } from "@/api/query-keys";
import type { Instance, Page, RecordStatus, Task, TaskRecord } from "@/api/types";
import { FINISHED_STATUSES } from "@/api/types";
import type { LiveEvent } from "./events";

/** What a batch of events changes on one instance. */
export interface InstancePatch {
  online?: boolean;
  offline_at?: string | null;
  last_report_at?: string;
  cpu_usage_percent?: number;
  memory_usage_percent?: number;
  disk_usage_percent?: number;
  reports: number;
}

/** Folds a batch of events, in order, into one patch per instance. */
export function instancePatches(events: readonly LiveEvent[]): Map<string, InstancePatch> {
  const patches = new Map<string, InstancePatch>();
  for (const event of events) {
    if (event.type === "task.updated") continue;
    let patch = patches.get(event.instance_id);
    if (!patch) {
      patch = { reports: 0 };
      patches.set(event.instance_id, patch);
    }
    switch (event.type) {
      case "instance.online":
        patch.online = true;
        patch.offline_at = null;
        break;
      case "instance.offline":
        patch.online = false;
        patch.offline_at = event.at;
        break;
      case "instance.report":
        patch.online = true;
        patch.offline_at = null;
        patch.last_report_at = event.at;
        patch.cpu_usage_percent = event.cpu_usage_percent;
        patch.memory_usage_percent = event.memory_usage_percent;
        patch.disk_usage_percent = event.disk_usage_percent;
        patch.reports += 1;
        break;
    }
  }
  return patches;
}

export function applyInstancePatch(instance: Instance, patch: InstancePatch): Instance {
  const { reports, ...fields } = patch;
  const next: Instance = { ...instance };
  if (fields.online !== undefined) next.online = fields.online;
  if (fields.offline_at !== undefined) next.offline_at = fields.offline_at;
  if (fields.last_report_at !== undefined) next.last_report_at = fields.last_report_at;
  if (fields.cpu_usage_percent !== undefined) next.cpu_usage_percent = fields.cpu_usage_percent;
  if (fields.memory_usage_percent !== undefined) {
    next.memory_usage_percent = fields.memory_usage_percent;
  }
  if (fields.disk_usage_percent !== undefined) next.disk_usage_percent = fields.disk_usage_percent;
  next.report_count = instance.report_count + reports;
  return next;
}

/** A list with the patched instances replaced (the same array when nothing in it changed). */
export function patchInstanceList<T extends Instance>(
  items: readonly T[],
  patches: ReadonlyMap<string, InstancePatch>,
): T[] {
  const next = items.map((item) => {
    const patch = patches.get(item.id);
    return patch ? (applyInstancePatch(item, patch) as T) : item;
  });
  return next.some((item, i) => item !== items[i]) ? next : (items as T[]);
}

/** The latest status of each record in a batch. */
export function recordPatches(
  events: readonly LiveEvent[],
): Map<string, LiveEvent & { type: "task.updated" }> {
  const latest = new Map<string, LiveEvent & { type: "task.updated" }>();
  for (const event of events) {
    if (event.type === "task.updated") latest.set(event.record_id, event);
  }
  return latest;
}

/** A task's counts by status after records moved from one status to another. */
export function moveRecordCounts(
  counts: Task["records"],
  moves: readonly { from: RecordStatus; to: RecordStatus }[],
): Task["records"] {
  const next: Record<string, number> = { ...counts };
  for (const { from, to } of moves) {
    if (from === to) continue;
    next[from] = Math.max(0, (next[from] ?? 0) - 1);
    next[to] = (next[to] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(next).filter(([, n]) => n > 0));
}

export interface LiveEffects {
  /** Instances that came online without being in the loaded fleet (newly registered). */
  unknownInstances: string[];
  /** Some instance went online or offline. */
  presenceChanged: boolean;
  /** Tasks whose records changed, and whether each has records that reached a final status. */
  tasks: Map<string, { finished: boolean; unknownRecords: boolean }>;
}

/**
 * Applies a batch of live events to every cached query they touch: the fleet list, instance
 * pages and details, and task records. Returns what the cache cannot show by itself (new
 * instances, task outputs), for the caller to refetch.
 */
export function applyLiveEvents(client: QueryClient, events: readonly LiveEvent[]): LiveEffects {
  const effects: LiveEffects = {
    unknownInstances: [],
    presenceChanged: events.some(
      (e) => e.type === "instance.online" || e.type === "instance.offline",
    ),
    tasks: new Map(),
  };

  const patches = instancePatches(events);
  if (patches.size > 0) {
    const seen = new Set<string>();
    client.setQueriesData<{ items: Instance[]; total: number }>(
      { queryKey: queryKeys.instances.fleet },
      (data) => {
        if (!data) return data;
        for (const item of data.items) if (patches.has(item.id)) seen.add(item.id);
        const items = patchInstanceList(data.items, patches);
        return items === data.items ? data : { ...data, items };
      },
    );
    client.setQueriesData<Page<Instance>>({ queryKey: ["instances", "page"] }, (data) => {
      if (!data) return data;
      const items = patchInstanceList(data.items, patches);
      return items === data.items ? data : { ...data, items };
    });
    for (const [id, patch] of patches) {
      client.setQueryData<Instance>(queryKeys.instances.detail(id), (data) =>
        data ? applyInstancePatch(data, patch) : data,
      );
    }
    const fleetLoaded = client
      .getQueryCache()
      .findAll({ queryKey: queryKeys.instances.fleet })
      .some((q) => q.state.data !== undefined);
    if (fleetLoaded) {
      const unknown = new Set<string>();
      for (const e of events) {
        if (e.type === "instance.online" && !seen.has(e.instance_id)) unknown.add(e.instance_id);
      }
      effects.unknownInstances = [...unknown];
    }
  }

  const records = recordPatches(events);
  for (const event of records.values()) {
    const entry = effects.tasks.get(event.task_id) ?? { finished: false, unknownRecords: false };
    if (FINISHED_STATUSES.has(event.status)) entry.finished = true;
    effects.tasks.set(event.task_id, entry);
  }
  for (const [taskId, entry] of effects.tasks) {
    // One move per record, however many cached pages (status filters) show it.
    const moves = new Map<string, { from: RecordStatus; to: RecordStatus }>();
    const hasRecordPages =
      client.getQueryCache().findAll({ queryKey: ["tasks", "records", taskId] }).length > 0;
    client.setQueriesData<Page<TaskRecord>>({ queryKey: ["tasks", "records", taskId] }, (data) => {
      if (!data) return data;
      const items = data.items.map((record) => {
        const event = records.get(record.id);
        if (!event) return record;
        if (!moves.has(record.id)) moves.set(record.id, { from: record.status, to: event.status });
        if (event.status === record.status) return record;
        return { ...record, status: event.status, updated_at: event.at };
      });
      return items.some((record, i) => record !== data.items[i]) ? { ...data, items } : data;
    });
    const eventsOfTask = [...records.values()].filter((e) => e.task_id === taskId);
    entry.unknownRecords = !hasRecordPages || eventsOfTask.some((e) => !moves.has(e.record_id));
    if (moves.size > 0) {
      client.setQueryData<Task>(queryKeys.tasks.detail(taskId), (task) =>
        task ? { ...task, records: moveRecordCounts(task.records, [...moves.values()]) } : task,
      );
    }
  }
  return effects;
}

/** The fleet with newly registered instances added (those it already has are left alone). */
export function addInstances(
  fleet: { items: Instance[]; total: number },
  added: readonly Instance[],
): { items: Instance[]; total: number } {
  const known = new Set(fleet.items.map((i) => i.id));
  const fresh = added.filter((i) => !known.has(i.id));
  if (fresh.length === 0) return fleet;
  return { items: [...fleet.items, ...fresh], total: fleet.total + fresh.length };
}
