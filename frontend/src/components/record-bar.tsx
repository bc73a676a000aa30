import { useTranslation } from "react-i18next";
import { RECORD_STATUSES, type Task } from "@/api/types";
import { RECORD_STATUS_COLORS } from "./status-badges";

/** A task's records by status as one stacked bar, with a readable summary. */
export function RecordBar({ records }: { records: Task["records"] }) {
  const { t } = useTranslation();
  const total = RECORD_STATUSES.reduce((sum, s) => sum + (records[s] ?? 0), 0);
  const parts = RECORD_STATUSES.filter((s) => (records[s] ?? 0) > 0);
  const summary = parts.map((s) => `${t(`recordStatus.${s}`)} ${records[s] ?? 0}`).join(", ");
  return (
    <div className="grid min-w-32 gap-1">
      <div className="flex h-2 overflow-hidden rounded-full bg-muted" aria-hidden>
        {parts.map((s) => (
          <span
            key={s}
            style={{
              width: `${((records[s] ?? 0) / Math.max(total, 1)) * 100}%`,
              background: RECORD_STATUS_COLORS[s],
            }}
          />
        ))}
      </div>
      <span className="text-xs text-muted-foreground">{summary || t("tasks.noRecords")}</span>
    </div>
  );
}
