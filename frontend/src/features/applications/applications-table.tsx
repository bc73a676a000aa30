import { Link } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import type { Application, Project } from "@/api/types";
import { StatusBadge } from "@/components/status-badges";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";

export function ApplicationsTable({
  applications,
  projects,
}: {
  applications: Application[];
  /** Shows a project column when given. */
  projects?: ReadonlyMap<string, Project>;
}) {
  const { t } = useTranslation();
  return (
    <Table>
      <TableCaption>{t("applications.title")}</TableCaption>
      <TableHeader>
        <TableRow>
          <TableHead>{t("common.name")}</TableHead>
          <TableHead>{t("common.code")}</TableHead>
          {projects ? <TableHead>{t("applications.project")}</TableHead> : null}
          <TableHead>{t("common.status")}</TableHead>
          <TableHead>{t("applications.techStacks")}</TableHead>
          <TableHead>{t("applications.agentToken")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {applications.map((app) => (
          <TableRow key={app.id}>
            <TableCell className="font-medium">
              <Link
                to="/applications/$applicationId"
                params={{ applicationId: app.id }}
                className="hover:underline"
              >
                {app.name}
              </Link>
            </TableCell>
            <TableCell className="font-mono text-xs">{app.code}</TableCell>
            {projects ? (
              <TableCell>
                <Link
                  to="/projects/$projectId"
                  params={{ projectId: app.project_id }}
                  className="hover:underline"
                >
                  {projects.get(app.project_id)?.name ?? app.project_id}
                </Link>
              </TableCell>
            ) : null}
            <TableCell>
              <StatusBadge status={app.status} />
            </TableCell>
            <TableCell className="text-muted-foreground">
              {app.tech_stacks
                .map((s) => (s.version ? `${s.name} ${s.version}` : s.name))
                .join(", ") || "—"}
            </TableCell>
            <TableCell className="text-muted-foreground">
              {app.agent_token ? (
                <span title={formatDateTime(app.agent_token.issued_at)}>
                  <code>{app.agent_token.prefix}…</code>
                </span>
              ) : (
                t("applications.noToken")
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
