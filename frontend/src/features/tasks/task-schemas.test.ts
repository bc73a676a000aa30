import { describe, expect, it } from "vitest";
import {
  contentSchema,
  customCommandSchema,
  defaultTaskValues,
  fileManagerSchema,
  formPathFor,
  httpRequestSchema,
  runCodeSchema,
  shellExecSchema,
  taskFormSchema,
  toCreateTask,
  type TaskFormValues,
} from "./task-schemas";

/** The form's messages (translation keys) by field path. */
function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  return Object.fromEntries(
    (result.error?.issues ?? []).map((i) => [i.path.join("."), i.message.split("|")[0]]),
  );
}

const instance = "0b7a4c1e-8d0f-4a51-9a43-3f9a1c2d5e6f";

function values(patch: Partial<TaskFormValues> = {}): TaskFormValues {
  return { ...defaultTaskValues("shell_exec", [instance]), name: "uptime", ...patch };
}

describe("shell_exec", () => {
  it("accepts a script with a working directory and environment", () => {
    const result = shellExecSchema.safeParse({
      script: "uptime",
      workdir: "/srv",
      env: [{ name: "LANG", value: "C" }],
    });
    expect(result.success).toBe(true);
  });

  it("needs a script of at most 65,536 characters", () => {
    expect(issues(shellExecSchema.safeParse({ script: "", workdir: "", env: [] }))).toEqual({
      script: "validation.required",
    });
    const long = shellExecSchema.safeParse({ script: "x".repeat(65_537), workdir: "", env: [] });
    expect(issues(long)).toEqual({ script: "validation.maxLength" });
    // Characters, not UTF-16 units, as the server counts: 65,536 emoji fit.
    const emoji = shellExecSchema.safeParse({ script: "😀".repeat(65_536), workdir: "", env: [] });
    expect(emoji.success).toBe(true);
  });

  it("rejects NUL, duplicate, empty and too many variable names", () => {
    const result = shellExecSchema.safeParse({
      script: "a\0b",
      workdir: "",
      env: [
        { name: "A", value: "1" },
        { name: "A", value: "2" },
        { name: "", value: "3" },
      ],
    });
    expect(issues(result)).toEqual({
      script: "validation.nul",
      "env.1.name": "validation.duplicate",
      "env.2.name": "validation.required",
    });
    const many = Array.from({ length: 65 }, (_, i) => ({ name: `V${i}`, value: "" }));
    expect(issues(shellExecSchema.safeParse({ script: "x", workdir: "", env: many }))).toEqual({
      env: "validation.maxItems",
    });
  });
});

describe("http_request", () => {
  const base = {
    method: "GET",
    url: "https://example.com/health",
    headers: [],
    body: "",
    follow_redirects: false,
    verify_tls: true,
  };

  it("accepts an http(s) URL", () => {
    expect(httpRequestSchema.safeParse(base).success).toBe(true);
    expect(httpRequestSchema.safeParse({ ...base, url: "http://10.0.0.1:8080/" }).success).toBe(
      true,
    );
  });

  it("rejects other schemes, spaces and unknown methods", () => {
    expect(issues(httpRequestSchema.safeParse({ ...base, url: "ftp://example.com" }))).toEqual({
      url: "validation.httpUrl",
    });
    expect(issues(httpRequestSchema.safeParse({ ...base, url: "https://a b" }))).toEqual({
      url: "validation.httpUrl",
    });
    expect(issues(httpRequestSchema.safeParse({ ...base, method: "TRACE" }))).toHaveProperty(
      "method",
    );
  });

  it("treats header names case-insensitively and bounds their values", () => {
    const result = httpRequestSchema.safeParse({
      ...base,
      headers: [
        { name: "Accept", value: "a" },
        { name: "accept", value: "b" },
        { name: "X-Long", value: "v".repeat(1025) },
      ],
    });
    expect(issues(result)).toEqual({
      "headers.1.name": "validation.duplicate",
      "headers.2.value": "validation.maxLength",
    });
  });
});

describe("run_code", () => {
  it("needs an allow-listed interpreter name and code", () => {
    expect(runCodeSchema.safeParse({ interpreter: "python3", code: "print(1)" }).success).toBe(
      true,
    );
    expect(issues(runCodeSchema.safeParse({ interpreter: "Python", code: "" }))).toEqual({
      interpreter: "validation.name",
      code: "validation.required",
    });
    expect(issues(runCodeSchema.safeParse({ interpreter: "p".repeat(33), code: "x" }))).toEqual({
      interpreter: "validation.maxLength",
    });
  });
});

describe("file_manager", () => {
  it("needs a URL for a download and only then", () => {
    expect(
      fileManagerSchema.safeParse({ operation: "list", path: "/var/log", url: "" }).success,
    ).toBe(true);
    expect(
      issues(fileManagerSchema.safeParse({ operation: "download", path: "/tmp/a", url: "" })),
    ).toEqual({
      url: "validation.downloadUrl",
    });
    expect(
      issues(
        fileManagerSchema.safeParse({
          operation: "download",
          path: "/tmp/a",
          url: "file:///etc/passwd",
        }),
      ),
    ).toEqual({ url: "validation.httpUrl" });
    expect(
      issues(
        fileManagerSchema.safeParse({ operation: "delete", path: "/tmp/a", url: "https://x.io/a" }),
      ),
    ).toEqual({ url: "validation.urlOnlyDownload" });
    expect(issues(fileManagerSchema.safeParse({ operation: "upload", path: "", url: "" }))).toEqual(
      {
        path: "validation.required",
      },
    );
  });
});

describe("custom_command", () => {
  it("needs a hook name and at most 16 arguments", () => {
    expect(
      customCommandSchema.safeParse({ name: "restart-app", args: [{ value: "--now" }] }).success,
    ).toBe(true);
    expect(issues(customCommandSchema.safeParse({ name: "Restart App", args: [] }))).toEqual({
      name: "validation.name",
    });
    const args = Array.from({ length: 17 }, () => ({ value: "x" }));
    expect(issues(customCommandSchema.safeParse({ name: "ok", args }))).toEqual({
      args: "validation.maxItems",
    });
  });
});

describe("the whole task form", () => {
  it("validates only the chosen type's content", () => {
    const form = values({ type: "run_code", run_code: { interpreter: "bash", code: "echo hi" } });
    // The shell script is empty, but the task is a run_code one.
    expect(taskFormSchema.safeParse(form).success).toBe(true);
    expect(contentSchema("shell_exec").safeParse(form.shell_exec).success).toBe(false);
  });

  it("checks the name, targets and options", () => {
    const result = taskFormSchema.safeParse(
      values({
        name: "  ",
        instance_ids: [],
        priority: 101,
        timeout_seconds: 0,
        max_attempts: 1.5,
        shell_exec: { script: "true", workdir: "", env: [] },
      }),
    );
    expect(issues(result)).toEqual({
      name: "validation.required",
      instance_ids: "validation.pickInstances",
      priority: "validation.range",
      timeout_seconds: "validation.range",
      max_attempts: "validation.integer",
    });
  });

  it("builds the API body of each type", () => {
    const shell = toCreateTask(
      values({ shell_exec: { script: "df -h", workdir: " ", env: [{ name: "A", value: "1" }] } }),
    );
    expect(shell).toEqual({
      name: "uptime",
      instance_ids: [instance],
      priority: 50,
      timeout_seconds: 300,
      max_attempts: 1,
      type: "shell_exec",
      content: { script: "df -h", workdir: null, env: { A: "1" } },
    });
    const http = toCreateTask(
      values({
        type: "http_request",
        http_request: {
          method: "POST",
          url: "https://example.com",
          headers: [{ name: "Content-Type", value: "application/json" }],
          body: "{}",
          follow_redirects: true,
          verify_tls: false,
        },
      }),
    );
    expect(http).toMatchObject({
      type: "http_request",
      content: {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
        follow_redirects: true,
        verify_tls: false,
      },
    });
    const files = toCreateTask(
      values({ type: "file_manager", file_manager: { operation: "list", path: "/", url: "" } }),
    );
    expect(files).toMatchObject({ content: { operation: "list", path: "/", url: null } });
    const command = toCreateTask(
      values({
        type: "custom_command",
        custom_command: { name: "reload", args: [{ value: "a" }, { value: "b" }] },
      }),
    );
    expect(command).toMatchObject({ content: { name: "reload", args: ["a", "b"] } });
    const code = toCreateTask(
      values({ type: "run_code", run_code: { interpreter: "python3", code: "1" } }),
    );
    expect(code).toMatchObject({
      type: "run_code",
      content: { interpreter: "python3", code: "1" },
    });
  });

  it("maps the server's field paths onto the form", () => {
    expect(formPathFor("shell_exec", "content.env.PATH")).toBe("shell_exec.env.PATH");
    expect(formPathFor("http_request", "name")).toBe("name");
  });
});
