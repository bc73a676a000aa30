import { z } from "zod";
import { msg } from "@/lib/validation";

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export const nameField = z
  .string()
  .max(128, msg("validation.maxLength", { max: 128 }))
  .refine((v) => /\S/.test(v), msg("validation.required"));

export const codeField = z
  .string()
  .min(2, msg("validation.minLength", { min: 2 }))
  .max(64, msg("validation.maxLength", { max: 64 }))
  .regex(SLUG_PATTERN, msg("validation.slug"));

export const descriptionField = z.string().max(2000, msg("validation.maxLength", { max: 2000 }));

/** The project form: `code` only matters when creating (it is immutable). */
export const projectFormSchema = z.object({
  name: nameField,
  code: codeField,
  description: descriptionField,
  status: z.enum(["active", "disabled"]),
});
export type ProjectFormValues = z.infer<typeof projectFormSchema>;

/** An empty description is sent as `null` (cleared). */
export function optionalText(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}
