import { z } from "zod";

export const instancesSearchSchema = z.object({
  q: z.string().optional().catch(undefined),
  online: z.enum(["online", "offline"]).optional().catch(undefined),
  status: z.enum(["active", "disabled"]).optional().catch(undefined),
  application: z.string().optional().catch(undefined),
  project: z.string().optional().catch(undefined),
  sort: z.string().optional().catch(undefined),
});
export type InstancesSearch = z.infer<typeof instancesSearchSchema>;

export const METRIC_RANGES = ["15m", "1h", "6h", "24h", "7d", "30d"] as const;
export type MetricRange = (typeof METRIC_RANGES)[number];

export const instanceSearchSchema = z.object({
  tab: z.enum(["overview", "metrics", "reports", "config"]).optional().catch(undefined),
  range: z.enum(METRIC_RANGES).optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
});
export type InstanceSearch = z.infer<typeof instanceSearchSchema>;
