import { z } from "zod";

export const auditSearchSchema = z.object({
  actor: z.string().optional().catch(undefined),
  action: z.string().optional().catch(undefined),
  resource_type: z.string().optional().catch(undefined),
  resource_id: z.string().optional().catch(undefined),
  from: z.string().optional().catch(undefined),
  to: z.string().optional().catch(undefined),
  page: z.number().int().min(1).optional().catch(undefined),
  record: z.string().optional().catch(undefined),
});
export type AuditSearch = z.infer<typeof auditSearchSchema>;
