import { PlusIcon, Trash2Icon } from "lucide-react";
import { Controller, useFieldArray, useFormContext } from "react-hook-form";
import { useTranslation } from "react-i18next";
import type { TaskType } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { translateMessage } from "@/lib/validation";
import { KeyValueRows } from "./key-value-rows";
import { FILE_OPERATIONS, HTTP_METHODS, type TaskFormValues } from "./task-schemas";

function ShellExecFields() {
  const { t } = useTranslation();
  const { register, formState } = useFormContext<TaskFormValues>();
  const errors = formState.errors.shell_exec;
  return (
    <>
      <FormField label={t("tasks.script")} error={errors?.script?.message} required>
        {(props) => (
          <Textarea
            {...props}
            rows={8}
            spellCheck={false}
            className="font-mono text-xs"
            placeholder="uptime && df -h"
            {...register("shell_exec.script")}
          />
        )}
      </FormField>
      <FormField
        label={t("tasks.workdir")}
        error={errors?.workdir?.message}
        description={t("tasks.workdirHint")}
      >
        {(props) => <Input {...props} className="font-mono" {...register("shell_exec.workdir")} />}
      </FormField>
      <KeyValueRows
        name="shell_exec.env"
        legend={t("tasks.env")}
        max={64}
        errors={errors?.env as never}
      />
    </>
  );
}

function HttpRequestFields() {
  const { t } = useTranslation();
  const { register, control, formState } = useFormContext<TaskFormValues>();
  const errors = formState.errors.http_request;
  return (
    <>
      <div className="grid gap-4 sm:grid-cols-[9rem_1fr]">
        <FormField label={t("tasks.method")} error={errors?.method?.message} required>
          {(props) => (
            <Controller
              control={control}
              name="http_request.method"
              render={({ field }) => (
                <Select value={field.value} onValueChange={field.onChange}>
                  <SelectTrigger {...props}>
                    <SelectValue />
                  </SelectTrigger>
                  <SelectContent>
                    {HTTP_METHODS.map((m) => (
                      <SelectItem key={m} value={m}>
                        {m}
                      </SelectItem>
                    ))}
                  </SelectContent>
                </Select>
              )}
            />
          )}
        </FormField>
        <FormField label={t("tasks.url")} error={errors?.url?.message} required>
          {(props) => (
            <Input
              {...props}
              type="url"
              className="font-mono"
              placeholder="https://"
              {...register("http_request.url")}
            />
          )}
        </FormField>
      </div>
      <KeyValueRows
        name="http_request.headers"
        legend={t("tasks.headers")}
        max={64}
        errors={errors?.headers as never}
      />
      <FormField label={t("tasks.body")} error={errors?.body?.message}>
        {(props) => (
          <Textarea
            {...props}
            rows={5}
            spellCheck={false}
            className="font-mono text-xs"
            {...register("http_request.body")}
          />
        )}
      </FormField>
      <div className="flex flex-wrap gap-6">
        <Controller
          control={control}
          name="http_request.follow_redirects"
          render={({ field }) => (
            <div className="flex items-center gap-2">
              <Checkbox
                id="follow-redirects"
                checked={field.value}
                onCheckedChange={(v) => field.onChange(v === true)}
              />
              <label htmlFor="follow-redirects" className="text-sm">
                {t("tasks.followRedirects")}
              </label>
            </div>
          )}
        />
        <Controller
          control={control}
          name="http_request.verify_tls"
          render={({ field }) => (
            <div className="flex items-center gap-2">
              <Checkbox
                id="verify-tls"
                checked={field.value}
                onCheckedChange={(v) => field.onChange(v === true)}
              />
              <label htmlFor="verify-tls" className="text-sm">
                {t("tasks.verifyTls")}
              </label>
            </div>
          )}
        />
      </div>
    </>
  );
}

function RunCodeFields() {
  const { t } = useTranslation();
  const { register, formState } = useFormContext<TaskFormValues>();
  const errors = formState.errors.run_code;
  return (
    <>
      <FormField
        label={t("tasks.interpreter")}
        error={errors?.interpreter?.message}
        description={t("tasks.interpreterHint")}
        required
      >
        {(props) => (
          <Input {...props} className="font-mono" {...register("run_code.interpreter")} />
        )}
      </FormField>
      <FormField label={t("tasks.code")} error={errors?.code?.message} required>
        {(props) => (
          <Textarea
            {...props}
            rows={10}
            spellCheck={false}
            className="font-mono text-xs"
            {...register("run_code.code")}
          />
        )}
      </FormField>
    </>
  );
}

function FileManagerFields() {
  const { t } = useTranslation();
  const { register, control, formState, watch } = useFormContext<TaskFormValues>();
  const errors = formState.errors.file_manager;
  const operation = watch("file_manager.operation");
  return (
    <>
      <FormField label={t("tasks.operation")} error={errors?.operation?.message} required>
        {(props) => (
          <Controller
            control={control}
            name="file_manager.operation"
            render={({ field }) => (
              <Select value={field.value} onValueChange={field.onChange}>
                <SelectTrigger {...props} className="w-48">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {FILE_OPERATIONS.map((op) => (
                    <SelectItem key={op} value={op}>
                      {t(`tasks.operations.${op}`)}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          />
        )}
      </FormField>
      <FormField
        label={t("tasks.path")}
        error={errors?.path?.message}
        description={t("tasks.pathHint")}
        required
      >
        {(props) => <Input {...props} className="font-mono" {...register("file_manager.path")} />}
      </FormField>
      {operation === "download" ? (
        <FormField label={t("tasks.sourceUrl")} error={errors?.url?.message} required>
          {(props) => (
            <Input
              {...props}
              type="url"
              className="font-mono"
              placeholder="https://"
              {...register("file_manager.url")}
            />
          )}
        </FormField>
      ) : errors?.url?.message ? (
        <p className="text-xs text-destructive">{translateMessage(t, errors.url.message)}</p>
      ) : null}
    </>
  );
}

function CustomCommandFields() {
  const { t } = useTranslation();
  const { register, control, formState } = useFormContext<TaskFormValues>();
  const errors = formState.errors.custom_command;
  const args = useFieldArray({ control, name: "custom_command.args" });
  return (
    <>
      <FormField
        label={t("tasks.commandName")}
        error={errors?.name?.message}
        description={t("tasks.commandNameHint")}
        required
      >
        {(props) => <Input {...props} className="font-mono" {...register("custom_command.name")} />}
      </FormField>
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">{t("tasks.args")}</legend>
        {args.fields.map((row, index) => {
          const message = errors?.args?.[index]?.value?.message;
          return (
            <div key={row.id} className="flex items-start gap-2">
              <div className="grid flex-1 gap-1">
                <Input
                  aria-label={t("tasks.argN", { n: index + 1 })}
                  className="font-mono text-xs"
                  aria-invalid={Boolean(message)}
                  {...register(`custom_command.args.${index}.value`)}
                />
                {message ? (
                  <p className="text-xs text-destructive">{translateMessage(t, message)}</p>
                ) : null}
              </div>
              <Button
                variant="ghost"
                size="icon"
                aria-label={t("common.removeRow")}
                onClick={() => args.remove(index)}
              >
                <Trash2Icon aria-hidden />
              </Button>
            </div>
          );
        })}
        {errors?.args?.message ? (
          <p className="text-xs text-destructive">{translateMessage(t, errors.args.message)}</p>
        ) : null}
        <div>
          <Button
            variant="outline"
            size="sm"
            disabled={args.fields.length >= 16}
            onClick={() => args.append({ value: "" })}
          >
            <PlusIcon aria-hidden />
            {t("tasks.addArg")}
          </Button>
        </div>
      </fieldset>
    </>
  );
}

/** The content fields of the chosen task type. */
export function TaskContentFields({ type }: { type: TaskType }) {
  switch (type) {
    case "shell_exec":
      return <ShellExecFields />;
    case "http_request":
      return <HttpRequestFields />;
    case "run_code":
      return <RunCodeFields />;
    case "file_manager":
      return <FileManagerFields />;
    case "custom_command":
      return <CustomCommandFields />;
  }
}
