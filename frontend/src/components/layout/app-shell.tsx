import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { KeyRoundIcon, LogOutIcon, MenuIcon, UserIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { ChangePasswordDialog } from "@/features/auth/change-password-dialog";
import { fetchMe, logout } from "@/features/auth/queries";
import { safeRedirect } from "@/features/auth/expiry";
import { clearSession, lastEndReason, updateSessionUser } from "@/features/auth/session";
import { useSession } from "@/features/auth/use-session";
import { LiveEventsProvider, useLiveStatus } from "@/features/live/live-provider";
import { cn } from "@/lib/utils";
import { visibleNavItems, type NavItem } from "./navigation";
import { LanguageSwitch, ThemeToggle } from "./preferences";

function NavLinks({ items, onNavigate }: { items: NavItem[]; onNavigate?: () => void }) {
  const { t } = useTranslation();
  const sections = [
    { id: "fleet", label: t("nav.fleetSection") },
    { id: "admin", label: t("nav.adminSection") },
  ] as const;
  return (
    <>
      {sections.map((section) => {
        const entries = items.filter((item) => item.section === section.id);
        if (entries.length === 0) return null;
        return (
          <div key={section.id} className="mb-4">
            <p className="px-3 pb-1 text-xs font-medium tracking-wide text-muted-foreground uppercase">
              {section.label}
            </p>
            <ul className="grid gap-0.5">
              {entries.map((item) => (
                <li key={item.to}>
                  <Link
                    to={item.to}
                    onClick={onNavigate}
                    activeOptions={{ exact: item.to === "/" }}
                    className="flex items-center gap-2.5 rounded-md px-3 py-2 text-sm text-muted-foreground transition-colors hover:bg-accent hover:text-accent-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                    activeProps={{
                      className: "bg-accent font-medium text-accent-foreground",
                      "aria-current": "page",
                    }}
                  >
                    <item.icon className="size-4" aria-hidden />
                    {t(item.label)}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </>
  );
}

function LiveIndicator() {
  const { t } = useTranslation();
  const status = useLiveStatus();
  const label =
    status === "open"
      ? t("live.connected")
      : status === "connecting"
        ? t("live.connecting")
        : t("live.disconnected");
  return (
    <span
      className="hidden items-center gap-1.5 text-xs text-muted-foreground sm:flex"
      role="status"
      title={label}
    >
      <span
        aria-hidden
        className={cn(
          "size-2 rounded-full",
          status === "open"
            ? "bg-success"
            : status === "connecting"
              ? "bg-warning"
              : "bg-muted-foreground",
        )}
      />
      {label}
    </span>
  );
}

function UserMenu() {
  const { t } = useTranslation();
  const session = useSession();
  const client = useQueryClient();
  const [passwordOpen, setPasswordOpen] = useState(false);
  const signOut = useMutation({
    mutationFn: logout,
    meta: { silent: true },
    onSettled: () => {
      clearSession("signed-out");
      client.clear();
    },
  });
  if (!session) return null;
  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="sm">
            <UserIcon aria-hidden />
            <span className="sr-only">{t("auth.accountMenu")}: </span>
            <span className="max-w-32 truncate">{session.user.username}</span>
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-56">
          <DropdownMenuLabel className="grid gap-1">
            <span className="truncate">{session.user.display_name ?? session.user.username}</span>
            <span className="flex flex-wrap gap-1">
              {session.user.roles.map((role) => (
                <Badge key={role} variant="secondary">
                  {t(`roles.${role}`)}
                </Badge>
              ))}
            </span>
          </DropdownMenuLabel>
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setPasswordOpen(true)}>
            <KeyRoundIcon aria-hidden />
            {t("auth.changePassword")}
          </DropdownMenuItem>
          <DropdownMenuItem onSelect={() => signOut.mutate()} disabled={signOut.isPending}>
            <LogOutIcon aria-hidden />
            {t("auth.signOut")}
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <ChangePasswordDialog open={passwordOpen} onOpenChange={setPasswordOpen} />
    </>
  );
}

/** The signed-in console: menu, header, live events, and the current page. */
export function AppShell() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const href = useRouterState({ select: (s) => s.location.href });
  const [menuOpen, setMenuOpen] = useState(false);
  const items = visibleNavItems(session?.user.roles);

  // Roles can change while signed in: the server's view of the user wins.
  const me = useQuery({ queryKey: queryKeys.me, queryFn: fetchMe, staleTime: 60_000 });
  useEffect(() => {
    if (me.data) updateSessionUser(me.data);
  }, [me.data]);

  // Signed out (here or in another tab) or expired: back to the sign-in page, which returns
  // to this page unless the user chose to sign out.
  useEffect(() => {
    if (session) return;
    const reason = lastEndReason();
    void navigate({
      to: "/sign-in",
      search:
        reason === "signed-out"
          ? {}
          : { redirect: safeRedirect(href), ...(reason === "expired" ? { reason } : {}) },
      replace: true,
    });
  }, [session, navigate, href]);

  if (!session) return null;

  return (
    <LiveEventsProvider>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-background px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:ring-2 focus:ring-ring"
      >
        {t("common.skipToContent")}
      </a>
      <div className="flex min-h-screen">
        <aside className="sticky top-0 hidden h-screen w-60 shrink-0 flex-col border-r bg-card md:flex">
          <div className="flex h-14 items-center gap-2 border-b px-5">
            <img src="/favicon.svg" alt="" className="size-6" />
            <span className="font-semibold">MoniHub</span>
          </div>
          <nav aria-label={t("nav.main")} className="flex-1 overflow-y-auto p-3">
            <NavLinks items={items} />
          </nav>
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/95 px-4 backdrop-blur">
            <Button
              variant="ghost"
              size="icon"
              className="md:hidden"
              aria-label={t("nav.openMenu")}
              onClick={() => setMenuOpen(true)}
            >
              <MenuIcon aria-hidden />
            </Button>
            <span className="font-semibold md:hidden">MoniHub</span>
            <div className="ml-auto flex items-center gap-1">
              <LiveIndicator />
              <LanguageSwitch />
              <ThemeToggle />
              <UserMenu />
            </div>
          </header>
          <main id="main" tabIndex={-1} className="min-w-0 flex-1 p-4 outline-none md:p-6">
            <Outlet />
          </main>
        </div>
      </div>
      <Dialog open={menuOpen} onOpenChange={setMenuOpen}>
        <DialogContent className="top-0 left-0 h-full max-h-screen w-72 translate-x-0 translate-y-0 rounded-none">
          <DialogTitle>MoniHub</DialogTitle>
          <nav aria-label={t("nav.main")}>
            <NavLinks items={items} onNavigate={() => setMenuOpen(false)} />
          </nav>
        </DialogContent>
      </Dialog>
    </LiveEventsProvider>
  );
}
