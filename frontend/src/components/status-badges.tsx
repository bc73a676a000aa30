import { useTranslation } from "react-i18next";
import type { LogLevel, RecordStatus, Status } from "@/api/types";
import { Badge, type BadgeVariant } from "@/components/ui/badge";

export function OnlineBadge({ online }: { online: boolean }) {
  const { t } = useTranslation();
  return (
    <Badge variant={online ? "success" : "secondary"} data-online={online}>
      <span
        aria-hidden
        className={
          online ? "size-1.5 rounded-full bg-success" : "size-1.5 rounded-full bg-muted-foreground"
        }
      />
      {online ? t("instances.online") : t("instances.offline")}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: Status }) {
  const { t } = useTranslation();
  return (
    <Badge variant={status === "active" ? "outline" : "warning"}>{t(`status.${status}`)}</Badge>
  );
}

const RECORD_VARIANTS: Record<RecordStatus, BadgeVariant> = {
  pending: "secondary",
  dispatched: "default",
  running: "default",
  succeeded: "success",
  failed: "destructive",
  timeout: "destructive",
  refused: "warning",
  cancelled: "secondary",
};

export function RecordStatusBadge({ status }: { status: RecordStatus }) {
  const { t } = useTranslation();
  return (
    <Badge variant={RECORD_VARIANTS[status]} data-status={status}>
      {t(`recordStatus.${status}`)}
    </Badge>
  );
}

export const RECORD_STATUS_COLORS: Record<RecordStatus, string> = {
  pending: "var(--color-muted-foreground)",
  dispatched: "var(--color-chart-2)",
  running: "var(--color-chart-1)",
  succeeded: "var(--color-success)",
  failed: "var(--color-destructive)",
  timeout: "var(--color-chart-4)",
  refused: "var(--color-warning)",
  cancelled: "var(--color-border)",
};

const LEVEL_VARIANTS: Partial<Record<string, BadgeVariant>> & Record<LogLevel, BadgeVariant> = {
  trace: "secondary",
  debug: "secondary",
  info: "default",
  warn: "warning",
  error: "destructive",
};

export function LevelBadge({ level }: { level: string }) {
  return <Badge variant={LEVEL_VARIANTS[level] ?? "outline"}>{level}</Badge>;
}
