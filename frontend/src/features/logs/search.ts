import { z } from "zod";
import { LOG_LEVELS } from "@/api/types";

export const logsSearchSchema = z.object({
  level: z.enum(LOG_LEVELS).optional().catch(undefined),
  source: z.enum(["agent", "server"]).optional().catch(undefined),
  application_id: z.string().optional().catch(undefined),
  instance_id: z.string().optional().catch(undefined),
  trace_id: z.string().optional().catch(undefined),
  q: z.string().optional().catch(undefined),
  from: z.string().optional().catch(undefined),
  to: z.string().optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
});
export type LogsSearch = z.infer<typeof logsSearchSchema>;
