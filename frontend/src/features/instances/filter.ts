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
