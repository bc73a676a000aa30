import { z } from "zod";
import { codeField, descriptionField, nameField } from "@/features/projects/schemas";
import { msg } from "@/lib/validation";

export const techStackSchema = z.object({
  name: z
    .string()
    .max(64, msg("validation.maxLength", { max: 64 }))
    .refine((v) => /\S/.test(v), msg("validation.required")),
  version: z.string().max(64, msg("validation.maxLength", { max: 64 })),
});

export const applicationFormSchema = z.object({
  project_id: z.string().min(1, msg("validation.required")),
  name: nameField,
  code: codeField,
  description: descriptionField,
  status: z.enum(["active", "disabled"]),
  tech_stacks: z.array(techStackSchema).max(32, msg("validation.maxItems", { max: 32 })),
});
export type ApplicationFormValues = z.infer<typeof applicationFormSchema>;

/** Tech stacks as the API takes them: trimmed, with an empty version left out. */
export function toTechStacks(rows: ApplicationFormValues["tech_stacks"]) {
  return rows.map((row) => ({
    name: row.name.trim(),
    version: row.version.trim() === "" ? null : row.version.trim(),
  }));
}
