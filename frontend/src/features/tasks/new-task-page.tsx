import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { SendIcon } from "lucide-react";
import { Controller, FormProvider, useForm, type Resolver } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { TASK_TYPES } from "@/api/types";
import { FormField } from "@/components/form-field";
import { PageHeader } from "@/components/page-header";
import { FormError, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { cn } from "@/lib/utils";
import { applyServerErrors, translateMessage } from "@/lib/validation";
import { createTask } from "./api";
import { InstancePicker } from "./instance-picker";
import { TaskContentFields } from "./task-content-fields";
import {
  defaultTaskValues,
  formPathFor,
  taskFormSchema,
  toCreateTask,
  type TaskFormValues,
} from "./task-schemas";

const route = getRouteApi("/app/tasks/new");

const FORM_FIELDS = [
  "name",
  "instance_ids",
  "priority",
  "timeout_seconds",
  "max_attempts",
  "shell_exec.script",
  "shell_exec.workdir",
  "shell_exec.env",
  "http_request.method",
  "http_request.url",
  "http_request.headers",
  "http_request.body",
  "run_code.interpreter",
  "run_code.code",
  "file_manager.operation",
  "file_manager.path",
  "file_manager.url",
  "custom_command.name",
  "custom_command.args",
];

export function NewTaskPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = useNavigate();
  const client = useQueryClient();
  const form = useForm<TaskFormValues>({
    resolver: zodResolver(taskFormSchema) as unknown as Resolver<TaskFormValues>,
    defaultValues: defaultTaskValues(search.type, search.instance ? [search.instance] : []),
  });
  const type = form.watch("type");
  const mutation = useMutation({
    mutationFn: (values: TaskFormValues) => createTask(toCreateTask(values)),
    meta: { silent: true },
    onSuccess: async (task) => {
      await client.invalidateQueries({ queryKey: queryKeys.tasks.all });
      toast({ title: t("tasks.created", { name: task.name }), variant: "success" });
      await navigate({ to: "/tasks/$taskId", params: { taskId: task.id }, search: {} });
    },
    onError: (error) =>
      applyServerErrors(error, form.setError, FORM_FIELDS, (path) => formPathFor(type, path)),
  });
  const errors = form.formState.errors;

  return (
    <>
      <PageHeader title={t("tasks.new")} description={t("tasks.newSubtitle")} />
      <FormProvider {...form}>
        <form
          noValidate
          className="grid max-w-4xl gap-4"
          onSubmit={form.handleSubmit((values) => mutation.mutate(values))}
        >
          <FormError error={mutation.error} />
          <Card>
            <CardHeader>
              <CardTitle>{t("tasks.what")}</CardTitle>
            </CardHeader>
            <CardContent className="grid gap-4">
              <FormField label={t("tasks.name")} error={errors.name?.message} required>
                {(props) => <Input {...props} {...form.register("name")} />}
              </FormField>
              <Controller
                control={form.control}
                name="type"
                render={({ field }) => (
                  <fieldset>
                    <legend className="mb-2 text-sm font-medium">{t("tasks.type")}</legend>
                    <div className="grid gap-2 sm:grid-cols-3 lg:grid-cols-5">
                      {TASK_TYPES.map((taskType) => (
                        <label
                          key={taskType}
                          className={cn(
                            "flex cursor-pointer flex-col gap-1 rounded-md border p-3 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
                            field.value === taskType && "border-primary bg-primary/5",
                          )}
                        >
                          <input
                            type="radio"
                            name={field.name}
                            value={taskType}
                            checked={field.value === taskType}
                            onChange={() => field.onChange(taskType)}
                            className="sr-only"
                          />
                          <span className="font-medium">{t(`taskTypes.${taskType}`)}</span>
                          <span className="text-xs text-muted-foreground">
                            {t(`taskTypeHints.${taskType}`)}
                          </span>
                        </label>
                      ))}
                    </div>
                  </fieldset>
                )}
              />
              <TaskContentFields type={type} />
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t("tasks.targets")}</CardTitle>
              <CardDescription>{t("tasks.targetsHint")}</CardDescription>
            </CardHeader>
            <CardContent>
              <Controller
                control={form.control}
                name="instance_ids"
                render={({ field, fieldState }) => (
                  <div className="grid gap-1.5">
                    <InstancePicker
                      value={field.value}
                      onChange={field.onChange}
                      invalid={Boolean(fieldState.error)}
                      describedBy={fieldState.error ? "targets-error" : undefined}
                    />
                    {fieldState.error?.message ? (
                      <FieldMessage id="targets-error" message={fieldState.error.message} />
                    ) : null}
                  </div>
                )}
              />
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t("tasks.options")}</CardTitle>
            </CardHeader>
            <CardContent className="grid gap-4 sm:grid-cols-3">
              <FormField
                label={t("tasks.priority")}
                description={t("tasks.priorityHint")}
                error={errors.priority?.message}
              >
                {(props) => (
                  <Input
                    {...props}
                    type="number"
                    min={0}
                    max={100}
                    {...form.register("priority", { valueAsNumber: true })}
                  />
                )}
              </FormField>
              <FormField
                label={t("tasks.timeout")}
                description={t("tasks.timeoutHint")}
                error={errors.timeout_seconds?.message}
              >
                {(props) => (
                  <Input
                    {...props}
                    type="number"
                    min={1}
                    max={86400}
                    {...form.register("timeout_seconds", { valueAsNumber: true })}
                  />
                )}
              </FormField>
              <FormField
                label={t("tasks.maxAttempts")}
                description={t("tasks.maxAttemptsHint")}
                error={errors.max_attempts?.message}
              >
                {(props) => (
                  <Input
                    {...props}
                    type="number"
                    min={1}
                    max={10}
                    {...form.register("max_attempts", { valueAsNumber: true })}
                  />
                )}
              </FormField>
            </CardContent>
          </Card>
          <div className="flex gap-2">
            <Button type="submit" disabled={mutation.isPending}>
              {mutation.isPending ? <Spinner /> : <SendIcon aria-hidden />}
              {t("tasks.create")}
            </Button>
            <Button variant="outline" onClick={() => void navigate({ to: "/tasks", search: {} })}>
              {t("common.cancel")}
            </Button>
          </div>
        </form>
      </FormProvider>
    </>
  );
}

function FieldMessage({ id, message }: { id: string; message: string }) {
  const { t } = useTranslation();
  return (
    <p id={id} className="text-xs font-medium text-destructive">
      {translateMessage(t, message)}
    </p>
  );
}
