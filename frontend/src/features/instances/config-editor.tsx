import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { queryKeys } from "@/api/query-keys";
import { LOG_LEVELS, type AgentConfig, type Instance } from "@/api/types";
import { FormField } from "@/components/form-field";
import { FormError, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { toast } from "@/components/ui/toast";
import { applyServerErrors, msg } from "@/lib/validation";
import { updateInstance } from "./api";

export const agentConfigSchema = z.object({
  report_interval_seconds: z
    .number(msg("validation.number"))
    .int(msg("validation.integer"))
    .min(5, msg("validation.range", { min: 5, max: 3600 }))
    .max(3600, msg("validation.range", { min: 5, max: 3600 })),
  long_poll_seconds: z
    .number(msg("validation.number"))
    .int(msg("validation.integer"))
    .min(1, msg("validation.range", { min: 1, max: 60 }))
    .max(60, msg("validation.range", { min: 1, max: 60 })),
  tasks_enabled: z.boolean(),
  log_level: z.enum(LOG_LEVELS),
});

/** The agent settings an operator may change; the agent applies them with its next report. */
export function ConfigEditor({ instance, readOnly }: { instance: Instance; readOnly: boolean }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const form = useForm<AgentConfig>({
    resolver: zodResolver(agentConfigSchema),
    defaultValues: instance.config,
  });
  useEffect(() => {
    if (!form.formState.isDirty) form.reset(instance.config);
  }, [instance.config, form]);
  const mutation = useMutation({
    mutationFn: (config: AgentConfig) => updateInstance(instance.id, { config }),
    meta: { silent: true },
    onSuccess: (saved) => {
      client.setQueryData(queryKeys.instances.detail(instance.id), saved);
      form.reset(saved.config);
      toast({ title: t("instances.configSaved"), variant: "success" });
    },
    onError: (error) =>
      applyServerErrors(
        error,
        form.setError,
        ["report_interval_seconds", "long_poll_seconds", "tasks_enabled", "log_level"],
        (path) => path.replace(/^config\./, ""),
      ),
  });
  const errors = form.formState.errors;
  return (
    <form
      noValidate
      className="grid max-w-lg gap-4"
      onSubmit={form.handleSubmit((values) => mutation.mutate(values))}
    >
      <p className="text-sm text-muted-foreground">{t("instances.configHint")}</p>
      <FormError error={mutation.error} />
      <FormField
        label={t("instances.reportInterval")}
        description={t("instances.reportIntervalHint")}
        error={errors.report_interval_seconds?.message}
      >
        {(props) => (
          <Input
            {...props}
            type="number"
            min={5}
            max={3600}
            disabled={readOnly}
            {...form.register("report_interval_seconds", { valueAsNumber: true })}
          />
        )}
      </FormField>
      <FormField
        label={t("instances.longPoll")}
        description={t("instances.longPollHint")}
        error={errors.long_poll_seconds?.message}
      >
        {(props) => (
          <Input
            {...props}
            type="number"
            min={1}
            max={60}
            disabled={readOnly}
            {...form.register("long_poll_seconds", { valueAsNumber: true })}
          />
        )}
      </FormField>
      <FormField label={t("instances.logLevel")} error={errors.log_level?.message}>
        {(props) => (
          <Controller
            control={form.control}
            name="log_level"
            render={({ field }) => (
              <Select value={field.value} onValueChange={field.onChange} disabled={readOnly}>
                <SelectTrigger {...props}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {LOG_LEVELS.map((level) => (
                    <SelectItem key={level} value={level}>
                      {level}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          />
        )}
      </FormField>
      <Controller
        control={form.control}
        name="tasks_enabled"
        render={({ field }) => (
          <div className="flex items-center gap-3">
            <Switch
              id="tasks-enabled"
              checked={field.value}
              onCheckedChange={field.onChange}
              disabled={readOnly}
            />
            <label htmlFor="tasks-enabled" className="text-sm font-medium">
              {t("instances.tasksEnabled")}
            </label>
          </div>
        )}
      />
      {readOnly ? null : (
        <div className="flex gap-2">
          <Button type="submit" disabled={mutation.isPending || !form.formState.isDirty}>
            {mutation.isPending ? <Spinner /> : null}
            {t("common.save")}
          </Button>
          <Button
            variant="outline"
            disabled={!form.formState.isDirty}
            onClick={() => form.reset(instance.config)}
          >
            {t("common.reset")}
          </Button>
        </div>
      )}
    </form>
  );
}
