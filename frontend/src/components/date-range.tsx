import { useTranslation } from "react-i18next";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

/** `2026-12-03T10:00:00.000Z` → the `datetime-local` value of that moment in local time. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A `datetime-local` value (local time) → RFC 3339 UTC, or undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function DateRange({
  from,
  to,
  onChange,
}: {
  from: string | undefined;
  to: string | undefined;
  onChange: (range: { from: string | undefined; to: string | undefined }) => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-wrap items-end gap-2">
      <div className="grid gap-1">
        <Label htmlFor="range-from" className="text-xs text-muted-foreground">
          {t("common.from")}
        </Label>
        <Input
          id="range-from"
          type="datetime-local"
          className="w-52"
          value={toLocalInput(from)}
          onChange={(e) => onChange({ from: fromLocalInput(e.target.value), to })}
        />
      </div>
      <div className="grid gap-1">
        <Label htmlFor="range-to" className="text-xs text-muted-foreground">
          {t("common.to")}
        </Label>
        <Input
          id="range-to"
          type="datetime-local"
          className="w-52"
          value={toLocalInput(to)}
          onChange={(e) => onChange({ from, to: fromLocalInput(e.target.value) })}
        />
      </div>
    </div>
  );
}
