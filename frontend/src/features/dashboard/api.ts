import { fetchApplicationOptions } from "@/features/applications/api";
import { listInstances } from "@/features/instances/api";
import { listProjects } from "@/features/projects/api";
import { listTasks } from "@/features/tasks/api";

export interface FleetCounts {
  total: number;
  online: number;
  offline: number;
  disabled: number;
  projects: number;
}

export async function fetchFleetCounts(): Promise<FleetCounts> {
  const one = { page: 1, per_page: 1 };
  const [all, online, offline, disabled, projects] = await Promise.all([
    listInstances(one),
    listInstances({ ...one, online: true }),
    listInstances({ ...one, online: false }),
    listInstances({ ...one, status: "disabled" }),
    listProjects(one),
  ]);
  return {
    total: all.total,
    online: online.total,
    offline: offline.total,
    disabled: disabled.total,
    projects: projects.total,
  };
}

export interface ApplicationCount {
  id: string;
  name: string;
  online: number;
  offline: number;
}

/** Applications counted on the dashboard (each costs two small requests). */
const MAX_APPLICATIONS = 30;

/** Instances online and offline per application, most instances first. */
export async function fetchInstancesByApplication(): Promise<ApplicationCount[]> {
  const applications = (await fetchApplicationOptions()).slice(0, MAX_APPLICATIONS);
  const counts = await Promise.all(
    applications.map(async (app) => {
      const one = { page: 1, per_page: 1, application_id: app.id };
      const [online, offline] = await Promise.all([
        listInstances({ ...one, online: true }),
        listInstances({ ...one, online: false }),
      ]);
      return { id: app.id, name: app.name, online: online.total, offline: offline.total };
    }),
  );
  return counts
    .filter((c) => c.online + c.offline > 0)
    .sort((a, b) => b.online + b.offline - (a.online + a.offline));
}

export const fetchRecentTasks = async () => (await listTasks({ page: 1, per_page: 8 })).items;

/** A sample of online instances, to start the live CPU and memory chart from. */
export const fetchUsageSample = async () =>
  (await listInstances({ page: 1, per_page: 200, online: true })).items;
