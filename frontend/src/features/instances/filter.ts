import type { Application, Instance } from "@/api/types";
import type { InstancesSearch } from "./search";

/** The instances matching the page's filters (text, online state, status, application, project). */
export function filterInstances(
  instances: readonly Instance[],
  search: InstancesSearch,
  applications: ReadonlyMap<string, Application>,
): Instance[] {
  const q = search.q?.trim().toLowerCase() ?? "";
  return instances.filter((instance) => {
    if (search.online && instance.online !== (search.online === "online")) return false;
    if (search.status && instance.status !== search.status) return false;
    if (search.application && instance.application_id !== search.application) return false;
    if (
      search.project &&
      applications.get(instance.application_id)?.project_id !== search.project
    ) {
      return false;
    }
    if (q) {
      const haystack = [
        instance.hostname,
        instance.ip_address ?? "",
        instance.public_ip ?? "",
        instance.agent_instance_id,
      ];
      if (!haystack.some((text) => text.toLowerCase().includes(q))) return false;
    }
    return true;
  });
}

/** `?sort=cpu:desc` ⇄ TanStack Table's sorting state. */
export function parseSort(value: string | undefined): { id: string; desc: boolean }[] {
  if (!value) return [];
  const [id, direction] = value.split(":");
  return id ? [{ id, desc: direction === "desc" }] : [];
}

export function formatSort(sorting: readonly { id: string; desc: boolean }[]): string | undefined {
  const first = sorting[0];
  return first ? `${first.id}:${first.desc ? "desc" : "asc"}` : undefined;
}

type SortKey = (
  instance: Instance,
  applications: ReadonlyMap<string, Application>,
) => string | number;

/** What each sortable column sorts by. */
export const SORT_KEYS: Record<string, SortKey> = {
  online: (i) => (i.online ? 1 : 0),
  hostname: (i) => i.hostname.toLowerCase(),
  application: (i, apps) => (apps.get(i.application_id)?.name ?? "").toLowerCase(),
  ip: (i) => i.ip_address ?? "",
  os: (i) => `${i.os_type} ${i.os_version ?? ""}`.toLowerCase(),
  cpu: (i) => i.cpu_usage_percent,
  memory: (i) => i.memory_usage_percent,
  disk: (i) => i.disk_usage_percent,
  last_report: (i) => Date.parse(i.last_report_at),
  status: (i) => i.status,
};

/**
 * The instances in the order of the first sort column (ties keep the server's order). Keys are
 * computed once per instance, so ten thousand rows sort in a few milliseconds.
 */
export function sortInstances(
  instances: readonly Instance[],
  sorting: readonly { id: string; desc: boolean }[],
  applications: ReadonlyMap<string, Application>,
): readonly Instance[] {
  const first = sorting[0];
  const key = first ? SORT_KEYS[first.id] : undefined;
  if (!first || !key) return instances;
  const keys = instances.map((i) => key(i, applications));
  const order = instances.map((_, index) => index);
  const direction = first.desc ? -1 : 1;
  order.sort((a, b) => {
    const x = keys[a] ?? "";
    const y = keys[b] ?? "";
    if (x < y) return -direction;
    if (x > y) return direction;
    return a - b;
  });
  return order.map((index) => instances[index] as Instance);
}
