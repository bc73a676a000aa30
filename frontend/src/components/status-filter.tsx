import { useTranslation } from "react-i18next";
import type { Status } from "@/api/types";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";

const ALL = "all";

export function StatusFilter({
  value,
  onChange,
}: {
  value: Status | undefined;
  onChange: (value: Status | undefined) => void;
}) {
  const { t } = useTranslation();
  return (
    <Select
      value={value ?? ALL}
      onValueChange={(v) => onChange(v === ALL ? undefined : (v as Status))}
    >
      <SelectTrigger className="w-40" aria-label={t("common.status")}>
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={ALL}>{t("common.allStatuses")}</SelectItem>
        <SelectItem value="active">{t("status.active")}</SelectItem>
        <SelectItem value="disabled">{t("status.disabled")}</SelectItem>
      </SelectContent>
    </Select>
  );
}
