import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { User } from "@/api/types";
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
import { toast } from "@/components/ui/toast";
import { optionalText } from "@/features/projects/schemas";
import { applyServerErrors } from "@/lib/validation";
import { createUser, setUserRoles, updateUser } from "./api";
import { RoleCheckboxes } from "./role-checkboxes";
import {
  createUserSchema,
  editUserSchema,
  type CreateUserValues,
  type EditUserValues,
} from "./schemas";

function useDone(onOpenChange: (open: boolean) => void) {
  const client = useQueryClient();
  return async (title: string) => {
    await client.invalidateQueries({ queryKey: queryKeys.users.all });
    toast({ title, variant: "success" });
    onOpenChange(false);
  };
}

export function CreateUserDialog({
  open,
  onOpenChange,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const { t } = useTranslation();
  const done = useDone(onOpenChange);
  const form = useForm<CreateUserValues>({
    resolver: zodResolver(createUserSchema),
    defaultValues: { username: "", display_name: "", email: "", password: "", roles: ["viewer"] },
  });
  useEffect(() => {
    if (open) form.reset();
  }, [open, form]);
  const mutation = useMutation({
    mutationFn: (v: CreateUserValues) =>
      createUser({
        username: v.username,
        password: v.password,
        display_name: optionalText(v.display_name),
        email: optionalText(v.email),
        roles: v.roles,
      }),
    meta: { silent: true },
    onSuccess: (user) => done(t("users.created", { name: user.username })),
    onError: (error) =>
      applyServerErrors(error, form.setError, [
        "username",
        "display_name",
        "email",
        "password",
        "roles",
      ]),
  });
  const errors = form.formState.errors;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => (next ? onOpenChange(true) : (mutation.reset(), onOpenChange(false)))}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("users.new")}</DialogTitle>
          <DialogDescription>{t("users.newHint")}</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-4"
          onSubmit={form.handleSubmit((v) => mutation.mutate(v))}
        >
          <FormError error={mutation.error} />
          <FormField
            label={t("users.username")}
            error={errors.username?.message}
            description={t("users.usernameHint")}
            required
          >
            {(props) => (
              <Input
                {...props}
                autoComplete="off"
                autoCapitalize="off"
                spellCheck={false}
                {...form.register("username")}
              />
            )}
          </FormField>
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label={t("users.displayName")} error={errors.display_name?.message}>
              {(props) => <Input {...props} {...form.register("display_name")} />}
            </FormField>
            <FormField label={t("users.email")} error={errors.email?.message}>
              {(props) => <Input {...props} type="email" {...form.register("email")} />}
            </FormField>
          </div>
          <FormField
            label={t("auth.password")}
            error={errors.password?.message}
            description={t("users.passwordHint")}
            required
          >
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                {...form.register("password")}
              />
            )}
          </FormField>
          <Controller
            control={form.control}
            name="roles"
            render={({ field }) => (
              <RoleCheckboxes
                idPrefix="new-user"
                value={field.value}
                onChange={field.onChange}
                error={errors.roles?.message}
              />
            )}
          />
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" disabled={mutation.isPending}>
              {mutation.isPending ? <Spinner /> : null}
              {t("common.create")}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function EditUserDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { t } = useTranslation();
  const done = useDone((open) => !open && onClose());
  const form = useForm<EditUserValues>({
    resolver: zodResolver(editUserSchema),
    defaultValues: { display_name: "", email: "", password: "", status: "active", roles: [] },
  });
  useEffect(() => {
    if (!user) return;
    form.reset({
      display_name: user.display_name ?? "",
      email: user.email ?? "",
      password: "",
      status: user.status,
      roles: user.roles,
    });
  }, [user, form]);
  const mutation = useMutation({
    mutationFn: async (v: EditUserValues) => {
      if (!user) return;
      const dirty = form.formState.dirtyFields;
      if (dirty.display_name || dirty.email || dirty.status || v.password !== "") {
        await updateUser(user.id, {
          ...(dirty.display_name ? { display_name: optionalText(v.display_name) } : {}),
          ...(dirty.email ? { email: optionalText(v.email) } : {}),
          ...(dirty.status ? { status: v.status } : {}),
          ...(v.password !== "" ? { password: v.password } : {}),
        });
      }
      const same =
        v.roles.length === user.roles.length && v.roles.every((r) => user.roles.includes(r));
      if (!same) await setUserRoles(user.id, v.roles);
    },
    meta: { silent: true },
    onSuccess: () => done(t("users.updated", { name: user?.username ?? "" })),
    onError: (error) =>
      applyServerErrors(error, form.setError, [
        "display_name",
        "email",
        "password",
        "status",
        "roles",
      ]),
  });
  const errors = form.formState.errors;
  return (
    <Dialog open={user !== null} onOpenChange={(open) => !open && (mutation.reset(), onClose())}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("users.editNamed", { name: user?.username ?? "" })}</DialogTitle>
          <DialogDescription>{t("users.editHint")}</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-4"
          onSubmit={form.handleSubmit((v) => mutation.mutate(v))}
        >
          <FormError error={mutation.error} />
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField label={t("users.displayName")} error={errors.display_name?.message}>
              {(props) => <Input {...props} {...form.register("display_name")} />}
            </FormField>
            <FormField label={t("users.email")} error={errors.email?.message}>
              {(props) => <Input {...props} type="email" {...form.register("email")} />}
            </FormField>
          </div>
          <FormField
            label={t("users.newPassword")}
            error={errors.password?.message}
            description={t("users.newPasswordHint")}
          >
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                {...form.register("password")}
              />
            )}
          </FormField>
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
          <Controller
            control={form.control}
            name="roles"
            render={({ field }) => (
              <RoleCheckboxes
                idPrefix="edit-user"
                value={field.value}
                onChange={field.onChange}
                error={errors.roles?.message}
              />
            )}
          />
          <DialogFooter>
            <Button variant="outline" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" disabled={mutation.isPending}>
              {mutation.isPending ? <Spinner /> : null}
              {t("common.save")}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
