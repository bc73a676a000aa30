import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { InfoIcon, LogInIcon, TimerIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { ApiError, errorMessage } from "@/api";
import { FormField } from "@/components/form-field";
import { LanguageSwitch, ThemeToggle } from "@/components/layout/preferences";
import { Spinner } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { msg } from "@/lib/validation";
import { safeRedirect } from "./expiry";
import { login } from "./queries";
import { setSession } from "./session";

const route = getRouteApi("/sign-in");

export const signInSchema = z.object({
  username: z.string().trim().min(1, msg("validation.required")),
  password: z.string().min(1, msg("validation.required")),
});

type SignInValues = z.infer<typeof signInSchema>;

/** Seconds left until `until` (ms since the epoch), ticking every second. */
function useCountdown(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    const first = setTimeout(() => setNow(Date.now()), 0);
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

export function SignInPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = useNavigate();
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const wait = useCountdown(blockedUntil);
  const form = useForm<SignInValues>({
    resolver: zodResolver(signInSchema),
    defaultValues: { username: "", password: "" },
  });

  const signIn = useMutation({
    mutationFn: login,
    meta: { silent: true },
    onSuccess: async (answer) => {
      setSession({
        token: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
        user: answer.user,
      });
      await navigate({ href: safeRedirect(search.redirect), replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.retryAfterSeconds !== null) {
        setBlockedUntil(Date.now() + error.retryAfterSeconds * 1000);
      } else {
        setBlockedUntil(null);
      }
      form.setValue("password", "");
      form.setFocus("password");
    },
  });

  const throttled =
    signIn.error instanceof ApiError &&
    (signIn.error.status === 429 || signIn.error.status === 503);

  return (
    <div className="flex min-h-screen flex-col bg-muted/40">
      <div className="flex justify-end gap-1 p-3">
        <LanguageSwitch />
        <ThemeToggle />
      </div>
      <main className="flex flex-1 items-start justify-center px-4 pt-[8vh]">
        <Card className="w-full max-w-sm">
          <CardHeader className="items-center text-center">
            <img src="/favicon.svg" alt="" className="mb-2 size-10" />
            <h1 className="text-xl leading-none font-semibold">{t("auth.signInTitle")}</h1>
            <CardDescription>{t("auth.signInSubtitle")}</CardDescription>
          </CardHeader>
          <CardContent>
            <form
              noValidate
              className="grid gap-4"
              onSubmit={form.handleSubmit((values) => signIn.mutate(values))}
            >
              {search.reason === "expired" ? (
                <p
                  role="status"
                  className="flex gap-2 rounded-md border bg-accent px-3 py-2 text-sm"
                >
                  <InfoIcon className="mt-0.5 size-4 shrink-0" aria-hidden />
                  {t("auth.sessionExpired")}
                </p>
              ) : null}
              {signIn.error ? (
                <div
                  role="alert"
                  className="grid gap-1 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive"
                >
                  <span>
                    {throttled && signIn.error instanceof ApiError
                      ? (signIn.error.problem?.detail ?? t("errors.throttled"))
                      : errorMessage(signIn.error, t)}
                  </span>
                  {throttled ? (
                    <span className="flex items-center gap-1.5 font-medium">
                      <TimerIcon className="size-4" aria-hidden />
                      {wait > 0 ? t("auth.waitSeconds", { count: wait }) : t("auth.tryAgainNow")}
                    </span>
                  ) : null}
                </div>
              ) : null}
              <FormField
                label={t("auth.username")}
                error={form.formState.errors.username?.message}
                required
              >
                {(props) => (
                  <Input
                    {...props}
                    autoComplete="username"
                    autoFocus
                    {...form.register("username")}
                  />
                )}
              </FormField>
              <FormField
                label={t("auth.password")}
                error={form.formState.errors.password?.message}
                required
              >
                {(props) => (
                  <Input
                    {...props}
                    type="password"
                    autoComplete="current-password"
                    {...form.register("password")}
                  />
                )}
              </FormField>
              <Button type="submit" disabled={signIn.isPending || wait > 0}>
                {signIn.isPending ? <Spinner /> : <LogInIcon aria-hidden />}
                {t("auth.signIn")}
              </Button>
            </form>
          </CardContent>
        </Card>
      </main>
    </div>
  );
}
