import { z } from "zod";
import { RECORD_STATUSES, TASK_TYPES } from "@/api/types";

export const tasksSearchSchema = z.object({
  q: z.string().optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
});
export type TasksSearch = z.infer<typeof tasksSearchSchema>;

export const newTaskSearchSchema = z.object({
  type: z.enum(TASK_TYPES).optional().catch(undefined),
  instance: z.string().optional().catch(undefined),
});

export const taskSearchSchema = z.object({
  status: z.enum(RECORD_STATUSES).optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
});
export type TaskSearch = z.infer<typeof taskSearchSchema>;
