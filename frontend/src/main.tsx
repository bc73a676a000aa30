import { MutationCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiError, errorMessage, setUnauthorizedHandler } from "@/api";
import { toast } from "@/components/ui/toast";
import { createSessionExpiredHandler } from "@/features/auth/expiry";
import { clearSession } from "@/features/auth/session";
import { initI18n } from "@/i18n";
import { createAppRouter } from "./router";
import "./index.css";

const i18n = initI18n();

declare module "@tanstack/react-query" {
  interface Register {
    mutationMeta: {
      /** The mutation shows its own errors (a form); no toast. */
      silent?: boolean;
    };
  }
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // Client errors will not get better by asking again; the rest get two more tries.
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
  mutationCache: new MutationCache({
    onError: (error, _variables, _context, mutation) => {
      if (mutation.meta?.silent) return;
      if (error instanceof ApiError && error.status === 401) return;
      toast({
        title: i18n.t("errors.actionFailed"),
        description: errorMessage(error, i18n.t),
        variant: "destructive",
      });
    },
  }),
});

const router = createAppRouter(queryClient);

setUnauthorizedHandler(
  createSessionExpiredHandler({
    currentHref: () => router.state.location.href,
    clear: () => {
      clearSession("expired");
      queryClient.clear();
    },
    navigate: (search) => void router.navigate({ to: "/sign-in", search, replace: true }),
  }),
);

const root = document.getElementById("root");
if (!root) throw new Error("the page has no #root element");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
