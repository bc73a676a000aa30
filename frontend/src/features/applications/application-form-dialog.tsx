import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PlusIcon, Trash2Icon } from "lucide-react";
import { useEffect } from "react";
import { Controller, useFieldArray, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Application } from "@/api/types";
import { FormField } from "@/components/form-field";
import { FormError, Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import { fetchProjectOptions } from "@/features/projects/api";
import { optionalText } from "@/features/projects/schemas";
import { applyServerErrors, translateMessage } from "@/lib/validation";
import { createApplication, updateApplication } from "./api";
import { applicationFormSchema, toTechStacks, type ApplicationFormValues } from "./schemas";

/** Creates an application (in `projectId` when given), or edits `application`. */
export function ApplicationFormDialog({
  open,
  onOpenChange,
  application,
  projectId,
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  application?: Application;
  projectId?: string;
  onSaved?: (application: Application) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const editing = application !== undefined;
  const projects = useQuery({
    queryKey: queryKeys.projects.options,
    queryFn: fetchProjectOptions,
    enabled: open,
  });
  const form = useForm<ApplicationFormValues>({
    resolver: zodResolver(applicationFormSchema),
    defaultValues: {
      project_id: "",
      name: "",
      code: "",
      description: "",
      status: "active",
      tech_stacks: [],
    },
  });
  const stacks = useFieldArray({ control: form.control, name: "tech_stacks" });
  useEffect(() => {
    if (!open) return;
    form.reset({
      project_id: application?.project_id ?? projectId ?? "",
      name: application?.name ?? "",
      code: application?.code ?? "",
      description: application?.description ?? "",
      status: application?.status ?? "active",
      tech_stacks: (application?.tech_stacks ?? []).map((s) => ({
        name: s.name,
        version: s.version ?? "",
      })),
    });
  }, [open, application, projectId, form]);

  const mutation = useMutation({
    mutationFn: (values: ApplicationFormValues) =>
      application
        ? updateApplication(application.id, {
            name: values.name.trim(),
            description: optionalText(values.description),
            status: values.status,
            tech_stacks: toTechStacks(values.tech_stacks),
          })
        : createApplication({
            project_id: values.project_id,
            name: values.name.trim(),
            code: values.code,
            description: optionalText(values.description),
            tech_stacks: toTechStacks(values.tech_stacks),
          }),
    meta: { silent: true },
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: queryKeys.applications.all });
      toast({
        title: editing
          ? t("applications.updated")
          : t("applications.created", { name: saved.name }),
        variant: "success",
      });
      onOpenChange(false);
      onSaved?.(saved);
    },
    onError: (error) =>
      applyServerErrors(error, form.setError, [
        "project_id",
        "name",
        "code",
        "description",
        "status",
        "tech_stacks",
      ]),
  });
  const errors = form.formState.errors;

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) mutation.reset();
        onOpenChange(next);
      }}
    >
      <DialogContent className="max-w-xl">
        <DialogHeader>
          <DialogTitle>{editing ? t("applications.edit") : t("applications.new")}</DialogTitle>
          <DialogDescription>{t("applications.formHint")}</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-4"
          onSubmit={form.handleSubmit((values) => mutation.mutate(values))}
        >
          <FormError error={mutation.error} />
          <FormField label={t("applications.project")} error={errors.project_id?.message} required>
            {(props) => (
              <Controller
                control={form.control}
                name="project_id"
                render={({ field }) => (
                  <Select
                    value={field.value}
                    onValueChange={field.onChange}
                    disabled={editing || projectId !== undefined}
                  >
                    <SelectTrigger {...props}>
                      <SelectValue placeholder={t("applications.chooseProject")} />
                    </SelectTrigger>
                    <SelectContent>
                      {(projects.data ?? []).map((p) => (
                        <SelectItem key={p.id} value={p.id}>
                          {p.name}
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              />
            )}
          </FormField>
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label={t("common.name")} error={errors.name?.message} required>
              {(props) => <Input {...props} {...form.register("name")} />}
            </FormField>
            <FormField
              label={t("common.code")}
              error={errors.code?.message}
              description={editing ? t("common.codeImmutable") : t("common.codeHint")}
              required
            >
              {(props) => (
                <Input
                  {...props}
                  className="font-mono"
                  readOnly={editing}
                  autoCapitalize="off"
                  spellCheck={false}
                  {...form.register("code")}
                />
              )}
            </FormField>
          </div>
          <FormField label={t("common.description")} error={errors.description?.message}>
            {(props) => <Textarea {...props} rows={2} {...form.register("description")} />}
          </FormField>
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">{t("applications.techStacks")}</legend>
            {stacks.fields.map((row, index) => {
              const rowErrors = errors.tech_stacks?.[index];
              return (
                <div key={row.id} className="flex items-start gap-2">
                  <div className="grid flex-1 gap-1">
                    <Label htmlFor={`stack-${row.id}-name`} className="sr-only">
                      {t("applications.stackName")}
                    </Label>
                    <Input
                      id={`stack-${row.id}-name`}
                      placeholder={t("applications.stackName")}
                      aria-invalid={Boolean(rowErrors?.name)}
                      {...form.register(`tech_stacks.${index}.name`)}
                    />
                    {rowErrors?.name?.message ? (
                      <p className="text-xs text-destructive">
                        {translateMessage(t, rowErrors.name.message)}
                      </p>
                    ) : null}
                  </div>
                  <div className="grid w-32 gap-1">
                    <Label htmlFor={`stack-${row.id}-version`} className="sr-only">
                      {t("applications.stackVersion")}
                    </Label>
                    <Input
                      id={`stack-${row.id}-version`}
                      placeholder={t("applications.stackVersion")}
                      aria-invalid={Boolean(rowErrors?.version)}
                      {...form.register(`tech_stacks.${index}.version`)}
                    />
                  </div>
                  <Button
                    variant="ghost"
                    size="icon"
                    aria-label={t("common.removeRow")}
                    onClick={() => stacks.remove(index)}
                  >
                    <Trash2Icon aria-hidden />
                  </Button>
                </div>
              );
            })}
            {errors.tech_stacks?.message ? (
              <p className="text-xs text-destructive">
                {translateMessage(t, errors.tech_stacks.message)}
              </p>
            ) : null}
            <div>
              <Button
                variant="outline"
                size="sm"
                disabled={stacks.fields.length >= 32}
                onClick={() => stacks.append({ name: "", version: "" })}
              >
                <PlusIcon aria-hidden />
                {t("applications.addStack")}
              </Button>
            </div>
          </fieldset>
          {editing ? (
            <FormField label={t("common.status")}>
              {(props) => (
                <Controller
                  control={form.control}
                  name="status"
                  render={({ field }) => (
                    <Select value={field.value} onValueChange={field.onChange}>
                      <SelectTrigger {...props}>
                        <SelectValue />
                      </SelectTrigger>
                      <SelectContent>
                        <SelectItem value="active">{t("status.active")}</SelectItem>
                        <SelectItem value="disabled">{t("status.disabled")}</SelectItem>
                      </SelectContent>
                    </Select>
                  )}
                />
              )}
            </FormField>
          ) : null}
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" disabled={mutation.isPending}>
              {mutation.isPending ? <Spinner /> : null}
              {editing ? t("common.save") : t("common.create")}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
