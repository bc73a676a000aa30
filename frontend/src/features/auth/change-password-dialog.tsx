import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { z } from "zod";
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
import { toast } from "@/components/ui/toast";
import { applyServerErrors, msg } from "@/lib/validation";
import { changePassword } from "./queries";

export const changePasswordSchema = z
  .object({
    current_password: z.string().min(1, msg("validation.required")),
    new_password: z
      .string()
      .min(10, msg("validation.minLength", { min: 10 }))
      .max(128, msg("validation.maxLength", { max: 128 })),
    confirm: z.string(),
  })
  .refine((v) => v.new_password === v.confirm, {
    path: ["confirm"],
    error: msg("validation.passwordsDiffer"),
  })
  .refine((v) => v.new_password !== v.current_password, {
    path: ["new_password"],
    error: msg("validation.passwordUnchanged"),
  });

type Values = z.infer<typeof changePasswordSchema>;

export function ChangePasswordDialog({
  open,
  onOpenChange,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const { t } = useTranslation();
  const form = useForm<Values>({
    resolver: zodResolver(changePasswordSchema),
    defaultValues: { current_password: "", new_password: "", confirm: "" },
  });
  const mutation = useMutation({
    mutationFn: (values: Values) =>
      changePassword({
        current_password: values.current_password,
        new_password: values.new_password,
      }),
    meta: { silent: true },
    onSuccess: () => {
      toast({ title: t("auth.passwordChanged"), variant: "success" });
      form.reset();
      onOpenChange(false);
    },
    onError: (error) => {
      applyServerErrors(error, form.setError, ["current_password", "new_password"]);
    },
  });
  const errors = form.formState.errors;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) {
          form.reset();
          mutation.reset();
        }
        onOpenChange(next);
      }}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("auth.changePassword")}</DialogTitle>
          <DialogDescription>{t("auth.changePasswordHint")}</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-4"
          onSubmit={form.handleSubmit((values) => mutation.mutate(values))}
        >
          <FormError error={mutation.error} />
          <FormField label={t("auth.currentPassword")} error={errors.current_password?.message}>
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="current-password"
                {...form.register("current_password")}
              />
            )}
          </FormField>
          <FormField label={t("auth.newPassword")} error={errors.new_password?.message}>
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                {...form.register("new_password")}
              />
            )}
          </FormField>
          <FormField label={t("auth.confirmPassword")} error={errors.confirm?.message}>
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                {...form.register("confirm")}
              />
            )}
          </FormField>
          <DialogFooter>
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
