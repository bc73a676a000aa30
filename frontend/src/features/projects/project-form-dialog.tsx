import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Project } from "@/api/types";
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
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import { applyServerErrors } from "@/lib/validation";
import { createProject, updateProject } from "./api";
import { optionalText, projectFormSchema, type ProjectFormValues } from "./schemas";

/** Creates a project, or edits `project` when given. */
export function ProjectFormDialog({
  open,
  onOpenChange,
  project,
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  project?: Project;
  onSaved?: (project: Project) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const editing = project !== undefined;
  const form = useForm<ProjectFormValues>({
    resolver: zodResolver(projectFormSchema),
    defaultValues: { name: "", code: "", description: "", status: "active" },
  });
  useEffect(() => {
    if (!open) return;
    form.reset({
      name: project?.name ?? "",
      // An existing code may predate today's rules; it cannot change, so it is not re-checked.
      code: project?.code ?? "",
      description: project?.description ?? "",
      status: project?.status ?? "active",
    });
  }, [open, project, form]);

  const mutation = useMutation({
    mutationFn: (values: ProjectFormValues) =>
      project
        ? updateProject(project.id, {
            name: values.name.trim(),
            description: optionalText(values.description),
            status: values.status,
          })
        : createProject({
            name: values.name.trim(),
            code: values.code,
            description: optionalText(values.description),
          }),
    meta: { silent: true },
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: queryKeys.projects.all });
      toast({
        title: editing ? t("projects.updated") : t("projects.created", { name: saved.name }),
        variant: "success",
      });
      onOpenChange(false);
      onSaved?.(saved);
    },
    onError: (error) =>
      applyServerErrors(error, form.setError, ["name", "code", "description", "status"]),
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
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{editing ? t("projects.edit") : t("projects.new")}</DialogTitle>
          <DialogDescription>{t("projects.formHint")}</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-4"
          onSubmit={form.handleSubmit((values) => mutation.mutate(values))}
        >
          <FormError error={mutation.error} />
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
          <FormField label={t("common.description")} error={errors.description?.message}>
            {(props) => <Textarea {...props} rows={3} {...form.register("description")} />}
          </FormField>
          {editing ? (
            <FormField label={t("common.status")} error={errors.status?.message}>
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
