import { z } from "zod";

/** `?q=&status=&page=` of the list pages. */
export const listSearchSchema = z.object({
  q: z.string().optional().catch(undefined),
  status: z.enum(["active", "disabled"]).optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
});
export type ListSearch = z.infer<typeof listSearchSchema>;

export const applicationsSearchSchema = listSearchSchema.extend({
  project: z.string().optional().catch(undefined),
});
export type ApplicationsSearch = z.infer<typeof applicationsSearchSchema>;
