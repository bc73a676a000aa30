/** Every cached query's key, in one place, so invalidation and live updates agree. */
export const queryKeys = {
  me: ["auth", "me"] as const,
  roles: ["roles"] as const,
  dashboard: {
    all: ["dashboard"] as const,
    counts: ["dashboard", "counts"] as const,
    applications: ["dashboard", "applications"] as const,
    tasks: ["dashboard", "tasks"] as const,
  },
  projects: {
    all: ["projects"] as const,
    list: (params: object) => ["projects", "list", params] as const,
    options: ["projects", "options"] as const,
    detail: (id: string) => ["projects", "detail", id] as const,
  },
  applications: {
    all: ["applications"] as const,
    list: (params: object) => ["applications", "list", params] as const,
    options: ["applications", "options"] as const,
    detail: (id: string) => ["applications", "detail", id] as const,
  },
  instances: {
    all: ["instances"] as const,
    fleet: ["instances", "fleet"] as const,
    page: (params: object) => ["instances", "page", params] as const,
    detail: (id: string) => ["instances", "detail", id] as const,
    metrics: (id: string, range: string) => ["instances", "metrics", id, range] as const,
    reports: (id: string, params: object) => ["instances", "reports", id, params] as const,
  },
  tasks: {
    all: ["tasks"] as const,
    list: (params: object) => ["tasks", "list", params] as const,
    detail: (id: string) => ["tasks", "detail", id] as const,
    records: (id: string, params: object) => ["tasks", "records", id, params] as const,
  },
  logs: { list: (params: object) => ["logs", "list", params] as const },
  audit: {
    list: (params: object) => ["audit", "list", params] as const,
    detail: (id: string) => ["audit", "detail", id] as const,
  },
  users: {
    all: ["users"] as const,
    list: (params: object) => ["users", "list", params] as const,
  },
};
