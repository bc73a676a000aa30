import { z } from "zod";
import { ROLES } from "@/api/types";
import { msg } from "@/lib/validation";

const USERNAME = /^[a-z0-9][a-z0-9._-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const email = z
  .string()
  .max(254, msg("validation.maxLength", { max: 254 }))
  .refine((v) => v === "" || EMAIL.test(v), msg("validation.email"));

const displayName = z.string().max(128, msg("validation.maxLength", { max: 128 }));

const password = z
  .string()
  .min(10, msg("validation.minLength", { min: 10 }))
  .max(128, msg("validation.maxLength", { max: 128 }));

export const createUserSchema = z.object({
  username: z
    .string()
    .min(3, msg("validation.minLength", { min: 3 }))
    .max(64, msg("validation.maxLength", { max: 64 }))
    .regex(USERNAME, msg("validation.username")),
  display_name: displayName,
  email,
  password,
  roles: z.array(z.enum(ROLES)).min(1, msg("validation.pickRole")),
});
export type CreateUserValues = z.infer<typeof createUserSchema>;

export const editUserSchema = z.object({
  display_name: displayName,
  email,
  /** Empty: keep the current password. */
  password: z.union([z.literal(""), password]),
  status: z.enum(["active", "disabled"]),
  roles: z.array(z.enum(ROLES)).min(1, msg("validation.pickRole")),
});
export type EditUserValues = z.infer<typeof editUserSchema>;
