import { z } from "zod";
import type { CreateTask, FileOperation, HttpMethod, TaskType } from "@/api/types";
import { charCount, msg } from "@/lib/validation";

/**
 * The task form and its validation, one schema per task type. The limits are the server's own
 * (the agent protocol's): a form that passes here is accepted there.
 */

export const HTTP_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
] as const satisfies readonly HttpMethod[];

export const FILE_OPERATIONS = [
  "list",
  "download",
  "upload",
  "delete",
] as const satisfies readonly FileOperation[];

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** A string of `min`–`max` characters (counted as the server counts), without NUL. */
function text(min: number, max: number) {
  return z
    .string()
    .refine((v) => !v.includes("\0"), msg("validation.nul"))
    .refine(
      (v) => charCount(v) >= min,
      min === 1 ? msg("validation.required") : msg("validation.minLength", { min }),
    )
    .refine((v) => charCount(v) <= max, msg("validation.maxLength", { max }));
}

export function isHttpUrl(url: string): boolean {
  const lower = url.toLowerCase();
  return (
    (lower.startsWith("http://") || lower.startsWith("https://")) &&
    url.length > "https://".length &&
    !/\s/.test(url)
  );
}

function httpUrl() {
  return text(1, 2048).refine(isHttpUrl, msg("validation.httpUrl"));
}

/** Name/value rows (environment variables, headers) that become a JSON object. */
function keyValues(
  maxEntries: number,
  maxName: number,
  maxValue: number,
  caseInsensitive: boolean,
) {
  return z
    .array(z.object({ name: text(1, maxName), value: text(0, maxValue) }))
    .max(maxEntries, msg("validation.maxItems", { max: maxEntries }))
    .superRefine((rows, ctx) => {
      const seen = new Set<string>();
      rows.forEach((row, index) => {
        const key = caseInsensitive ? row.name.toLowerCase() : row.name;
        if (seen.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: [index, "name"],
            message: msg("validation.duplicate"),
          });
        }
        seen.add(key);
      });
    });
}

export const shellExecSchema = z.object({
  script: text(1, 65_536),
  workdir: text(0, 4096),
  env: keyValues(64, 128, 4096, false),
});

export const httpRequestSchema = z.object({
  method: z.enum(HTTP_METHODS),
  url: httpUrl(),
  headers: keyValues(64, 64, 1024, true),
  body: text(0, 1_048_576),
  follow_redirects: z.boolean(),
  verify_tls: z.boolean(),
});

export const runCodeSchema = z.object({
  interpreter: z
    .string()
    .min(1, msg("validation.required"))
    .max(32, msg("validation.maxLength", { max: 32 }))
    .regex(NAME_PATTERN, msg("validation.name")),
  code: text(1, 65_536),
});

export const fileManagerSchema = z
  .object({
    operation: z.enum(FILE_OPERATIONS),
    path: text(1, 4096),
    url: z.string(),
  })
  .superRefine((value, ctx) => {
    if (value.operation === "download") {
      const result = httpUrl().safeParse(value.url);
      if (!result.success) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message:
            value.url === ""
              ? msg("validation.downloadUrl")
              : (result.error.issues[0]?.message ?? msg("validation.httpUrl")),
        });
      }
    } else if (value.url !== "") {
      ctx.addIssue({ code: "custom", path: ["url"], message: msg("validation.urlOnlyDownload") });
    }
  });

export const customCommandSchema = z.object({
  name: z
    .string()
    .min(1, msg("validation.required"))
    .max(64, msg("validation.maxLength", { max: 64 }))
    .regex(NAME_PATTERN, msg("validation.name")),
  args: z
    .array(z.object({ value: text(0, 1024) }))
    .max(16, msg("validation.maxItems", { max: 16 })),
});

const common = {
  name: text(1, 128).refine((v) => v.trim() !== "", msg("validation.required")),
  instance_ids: z
    .array(z.string())
    .min(1, msg("validation.pickInstances"))
    .max(1000, msg("validation.maxItems", { max: 1000 })),
  priority: z
    .number(msg("validation.number"))
    .int(msg("validation.integer"))
    .min(0, msg("validation.range", { min: 0, max: 100 }))
    .max(100, msg("validation.range", { min: 0, max: 100 })),
  timeout_seconds: z
    .number(msg("validation.number"))
    .int(msg("validation.integer"))
    .min(1, msg("validation.range", { min: 1, max: 86_400 }))
    .max(86_400, msg("validation.range", { min: 1, max: 86_400 })),
  max_attempts: z
    .number(msg("validation.number"))
    .int(msg("validation.integer"))
    .min(1, msg("validation.range", { min: 1, max: 10 }))
    .max(10, msg("validation.range", { min: 1, max: 10 })),
};

/** Each type's content lives under its own key, so switching types keeps what was typed. */
const contents = {
  shell_exec: shellExecSchema,
  http_request: httpRequestSchema,
  run_code: runCodeSchema,
  file_manager: fileManagerSchema,
  custom_command: customCommandSchema,
};

export const taskFormSchema = z.discriminatedUnion("type", [
  z.object({ ...common, type: z.literal("shell_exec"), shell_exec: shellExecSchema }).loose(),
  z.object({ ...common, type: z.literal("http_request"), http_request: httpRequestSchema }).loose(),
  z.object({ ...common, type: z.literal("run_code"), run_code: runCodeSchema }).loose(),
  z.object({ ...common, type: z.literal("file_manager"), file_manager: fileManagerSchema }).loose(),
  z
    .object({ ...common, type: z.literal("custom_command"), custom_command: customCommandSchema })
    .loose(),
]);

export interface TaskFormValues {
  name: string;
  type: TaskType;
  instance_ids: string[];
  priority: number;
  timeout_seconds: number;
  max_attempts: number;
  shell_exec: z.infer<typeof shellExecSchema>;
  http_request: z.infer<typeof httpRequestSchema>;
  run_code: z.infer<typeof runCodeSchema>;
  file_manager: z.infer<typeof fileManagerSchema>;
  custom_command: z.infer<typeof customCommandSchema>;
}

export function defaultTaskValues(
  type: TaskType = "shell_exec",
  instanceIds: string[] = [],
): TaskFormValues {
  return {
    name: "",
    type,
    instance_ids: instanceIds,
    priority: 50,
    timeout_seconds: 300,
    max_attempts: 1,
    shell_exec: { script: "", workdir: "", env: [] },
    http_request: {
      method: "GET",
      url: "",
      headers: [],
      body: "",
      follow_redirects: false,
      verify_tls: true,
    },
    run_code: { interpreter: "python3", code: "" },
    file_manager: { operation: "list", path: "", url: "" },
    custom_command: { name: "", args: [] },
  };
}

/** Validates one type's content on its own (what the form shows for the chosen type). */
export function contentSchema(type: TaskType) {
  return contents[type];
}

function toObject(rows: readonly { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

const orNull = (value: string) => (value.trim() === "" ? null : value);

/** The API body for validated form values: only the chosen type's content, in its shape. */
export function toCreateTask(values: TaskFormValues): CreateTask {
  const base = {
    name: values.name.trim(),
    instance_ids: values.instance_ids,
    priority: values.priority,
    timeout_seconds: values.timeout_seconds,
    max_attempts: values.max_attempts,
  };
  switch (values.type) {
    case "shell_exec": {
      const c = values.shell_exec;
      return {
        ...base,
        type: "shell_exec",
        content: { script: c.script, workdir: orNull(c.workdir), env: toObject(c.env) },
      };
    }
    case "http_request": {
      const c = values.http_request;
      return {
        ...base,
        type: "http_request",
        content: {
          method: c.method,
          url: c.url,
          headers: toObject(c.headers),
          body: c.body === "" ? null : c.body,
          follow_redirects: c.follow_redirects,
          verify_tls: c.verify_tls,
        },
      };
    }
    case "run_code":
      return { ...base, type: "run_code", content: { ...values.run_code } };
    case "file_manager": {
      const c = values.file_manager;
      return {
        ...base,
        type: "file_manager",
        content: {
          operation: c.operation,
          path: c.path,
          url: c.operation === "download" ? c.url : null,
        },
      };
    }
    case "custom_command": {
      const c = values.custom_command;
      return {
        ...base,
        type: "custom_command",
        content: { name: c.name, args: c.args.map((a) => a.value) },
      };
    }
  }
}

/** The form's name for a server field path (`content.script` → `shell_exec.script`). */
export function formPathFor(type: TaskType, serverPath: string): string {
  return serverPath.startsWith("content.")
    ? `${type}.${serverPath.slice("content.".length)}`
    : serverPath;
}
