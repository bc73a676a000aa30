import { z } from "zod";

export const signInSearchSchema = z.object({
  redirect: z.string().optional().catch(undefined),
  reason: z.literal("expired").optional().catch(undefined),
});
