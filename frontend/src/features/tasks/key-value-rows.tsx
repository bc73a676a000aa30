import { PlusIcon, Trash2Icon } from "lucide-react";
import { useFieldArray, useFormContext, type FieldErrors } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { translateMessage } from "@/lib/validation";
import type { TaskFormValues } from "./task-schemas";

type RowsName = "shell_exec.env" | "http_request.headers";

interface RowErrors {
  name?: { message?: string };
  value?: { message?: string };
}

/** Editable name/value rows (environment variables, request headers). */
export function KeyValueRows({
  name,
  legend,
  max,
  errors,
}: {
  name: RowsName;
  legend: string;
  max: number;
  errors: FieldErrors | undefined;
}) {
  const { t } = useTranslation();
  const { control, register } = useFormContext<TaskFormValues>();
  const rows = useFieldArray({ control, name });
  const rowErrors = errors as unknown as
    ((RowErrors | undefined)[] & { message?: string }) | undefined;
  return (
    <fieldset className="grid gap-2">
      <legend className="mb-1 text-sm font-medium">{legend}</legend>
      {rows.fields.map((row, index) => {
        const e = rowErrors?.[index];
        return (
          <div key={row.id} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2">
            <div className="grid gap-1">
              <Label htmlFor={`${row.id}-name`} className="sr-only">
                {t("tasks.rowName")}
              </Label>
              <Input
                id={`${row.id}-name`}
                placeholder={t("tasks.rowName")}
                className="font-mono text-xs"
                aria-invalid={Boolean(e?.name)}
                {...register(`${name}.${index}.name`)}
              />
              {e?.name?.message ? (
                <p className="text-xs text-destructive">{translateMessage(t, e.name.message)}</p>
              ) : null}
            </div>
            <div className="grid gap-1">
              <Label htmlFor={`${row.id}-value`} className="sr-only">
                {t("tasks.rowValue")}
              </Label>
              <Input
                id={`${row.id}-value`}
                placeholder={t("tasks.rowValue")}
                className="font-mono text-xs"
                aria-invalid={Boolean(e?.value)}
                {...register(`${name}.${index}.value`)}
              />
              {e?.value?.message ? (
                <p className="text-xs text-destructive">{translateMessage(t, e.value.message)}</p>
              ) : null}
            </div>
            <Button
              variant="ghost"
              size="icon"
              aria-label={t("common.removeRow")}
              onClick={() => rows.remove(index)}
            >
              <Trash2Icon aria-hidden />
            </Button>
          </div>
        );
      })}
      {rowErrors?.message ? (
        <p className="text-xs text-destructive">{translateMessage(t, rowErrors.message)}</p>
      ) : null}
      <div>
        <Button
          variant="outline"
          size="sm"
          disabled={rows.fields.length >= max}
          onClick={() => rows.append({ name: "", value: "" })}
        >
          <PlusIcon aria-hidden />
          {t("tasks.addRow")}
        </Button>
      </div>
    </fieldset>
  );
}
