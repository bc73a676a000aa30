import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { Task } from "@/api/types";
import { CodeBlock } from "@/components/code-block";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid gap-1">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm break-all">{children}</dd>
    </div>
  );
}

function Pairs({ value }: { value: Record<string, string> | undefined }) {
  const entries = Object.entries(value ?? {});
  if (entries.length === 0) return <>—</>;
  return (
    <ul className="font-mono text-xs">
      {entries.map(([k, v]) => (
        <li key={k}>
          {k}={v}
        </li>
      ))}
    </ul>
  );
}

/** What a task does, by type. */
export function TaskContentView({ task }: { task: Task }) {
  const { t } = useTranslation();
  switch (task.type) {
    case "shell_exec":
      return (
        <dl className="grid gap-3">
          <Row label={t("tasks.script")}>
            <CodeBlock>{task.content.script}</CodeBlock>
          </Row>
          <Row label={t("tasks.workdir")}>{task.content.workdir ?? "—"}</Row>
          <Row label={t("tasks.env")}>
            <Pairs value={task.content.env} />
          </Row>
        </dl>
      );
    case "http_request":
      return (
        <dl className="grid gap-3">
          <Row label={t("tasks.url")}>
            <code>
              {task.content.method} {task.content.url}
            </code>
          </Row>
          <Row label={t("tasks.headers")}>
            <Pairs value={task.content.headers} />
          </Row>
          {task.content.body ? (
            <Row label={t("tasks.body")}>
              <CodeBlock>{task.content.body}</CodeBlock>
            </Row>
          ) : null}
          <Row label={t("tasks.followRedirects")}>
            {task.content.follow_redirects ? t("common.yes") : t("common.no")}
          </Row>
          <Row label={t("tasks.verifyTls")}>
            {task.content.verify_tls === false ? t("common.no") : t("common.yes")}
          </Row>
        </dl>
      );
    case "run_code":
      return (
        <dl className="grid gap-3">
          <Row label={t("tasks.interpreter")}>
            <code>{task.content.interpreter}</code>
          </Row>
          <Row label={t("tasks.code")}>
            <CodeBlock>{task.content.code}</CodeBlock>
          </Row>
        </dl>
      );
    case "file_manager":
      return (
        <dl className="grid gap-3">
          <Row label={t("tasks.operation")}>{t(`tasks.operations.${task.content.operation}`)}</Row>
          <Row label={t("tasks.path")}>
            <code>{task.content.path}</code>
          </Row>
          {task.content.url ? (
            <Row label={t("tasks.sourceUrl")}>
              <code>{task.content.url}</code>
            </Row>
          ) : null}
        </dl>
      );
    case "custom_command":
      return (
        <dl className="grid gap-3">
          <Row label={t("tasks.commandName")}>
            <code>{task.content.name}</code>
          </Row>
          <Row label={t("tasks.args")}>
            <code>{(task.content.args ?? []).join(" ") || "—"}</code>
          </Row>
        </dl>
      );
  }
}
