import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Link,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { AppShell } from "@/components/layout/app-shell";
import { ErrorState, LoadingState } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Toaster } from "@/components/ui/toast";
import { auditSearchSchema } from "@/features/audit/search";
import { safeRedirect } from "@/features/auth/expiry";
import { guarded } from "@/features/auth/require-permission";
import { signInSearchSchema } from "@/features/auth/search";
import { getSession } from "@/features/auth/session";
import { instanceSearchSchema, instancesSearchSchema } from "@/features/instances/search";
import { logsSearchSchema } from "@/features/logs/search";
import { applicationsSearchSchema, listSearchSchema } from "@/features/projects/search";
import { newTaskSearchSchema, taskSearchSchema, tasksSearchSchema } from "@/features/tasks/search";

export interface RouterContext {
  queryClient: QueryClient;
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <div className="mx-auto mt-16 flex max-w-md flex-col items-center gap-3 text-center">
      <h1 className="text-xl font-semibold">{t("errors.pageNotFound")}</h1>
      <Button asChild variant="outline">
        <Link to="/">{t("nav.dashboard")}</Link>
      </Button>
    </div>
  );
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => (
    <>
      <Outlet />
      <Toaster />
    </>
  ),
  notFoundComponent: NotFound,
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: (search) => signInSearchSchema.parse(search),
  beforeLoad: ({ search }) => {
    if (getSession()) throw redirect({ href: safeRedirect(search.redirect), replace: true });
  },
  component: lazyRouteComponent(() => import("@/features/auth/sign-in-page"), "SignInPage"),
});

/** Every page behind sign-in: without a session, go to sign-in and come back afterwards. */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: ({ location }) => {
    if (!getSession()) {
      throw redirect({ to: "/sign-in", search: { redirect: safeRedirect(location.href) } });
    }
  },
  component: AppShell,
  notFoundComponent: NotFound,
});

const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  component: lazyRouteComponent(
    () => import("@/features/dashboard/dashboard-page"),
    "DashboardPage",
  ),
});

const projectsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/projects",
  validateSearch: (search) => listSearchSchema.parse(search),
  component: lazyRouteComponent(() => import("@/features/projects/projects-page"), "ProjectsPage"),
});

const projectRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/projects/$projectId",
  component: lazyRouteComponent(
    () => import("@/features/projects/project-detail-page"),
    "ProjectDetailPage",
  ),
});

const applicationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/applications",
  validateSearch: (search) => applicationsSearchSchema.parse(search),
  component: lazyRouteComponent(
    () => import("@/features/applications/applications-page"),
    "ApplicationsPage",
  ),
});

const applicationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/applications/$applicationId",
  component: lazyRouteComponent(
    () => import("@/features/applications/application-detail-page"),
    "ApplicationDetailPage",
  ),
});

const instancesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/instances",
  validateSearch: (search) => instancesSearchSchema.parse(search),
  component: lazyRouteComponent(
    () => import("@/features/instances/instances-page"),
    "InstancesPage",
  ),
});

const instanceRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/instances/$instanceId",
  validateSearch: (search) => instanceSearchSchema.parse(search),
  component: lazyRouteComponent(
    () => import("@/features/instances/instance-detail-page"),
    "InstanceDetailPage",
  ),
});

const tasksRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/tasks",
  validateSearch: (search) => tasksSearchSchema.parse(search),
  component: lazyRouteComponent(() => import("@/features/tasks/tasks-page"), "TasksPage"),
});

const newTaskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/tasks/new",
  validateSearch: (search) => newTaskSearchSchema.parse(search),
  component: guarded(
    "manage_fleet",
    lazyRouteComponent(() => import("@/features/tasks/new-task-page"), "NewTaskPage"),
  ),
});

const taskRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/tasks/$taskId",
  validateSearch: (search) => taskSearchSchema.parse(search),
  component: lazyRouteComponent(
    () => import("@/features/tasks/task-detail-page"),
    "TaskDetailPage",
  ),
});

const logsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/logs",
  validateSearch: (search) => logsSearchSchema.parse(search),
  component: lazyRouteComponent(() => import("@/features/logs/logs-page"), "LogsPage"),
});

const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/audit",
  validateSearch: (search) => auditSearchSchema.parse(search),
  component: guarded(
    "read_audit",
    lazyRouteComponent(() => import("@/features/audit/audit-page"), "AuditPage"),
  ),
});

const usersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/users",
  validateSearch: (search) => listSearchSchema.parse(search),
  component: guarded(
    "manage_users",
    lazyRouteComponent(() => import("@/features/users/users-page"), "UsersPage"),
  ),
});

const rolesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/roles",
  component: guarded(
    "manage_users",
    lazyRouteComponent(() => import("@/features/users/roles-page"), "RolesPage"),
  ),
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  appRoute.addChildren([
    dashboardRoute,
    projectsRoute,
    projectRoute,
    applicationsRoute,
    applicationRoute,
    instancesRoute,
    instanceRoute,
    tasksRoute,
    newTaskRoute,
    taskRoute,
    logsRoute,
    auditRoute,
    usersRoute,
    rolesRoute,
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: "intent",
    defaultPendingComponent: () => <LoadingState />,
    defaultErrorComponent: ({ error, reset }) => <ErrorState error={error} onRetry={reset} />,
    scrollRestoration: true,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
