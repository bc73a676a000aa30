import * as ToastPrimitive from "@radix-ui/react-toast";
import { XIcon } from "lucide-react";
import { useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { cn } from "@/lib/utils";

export interface ToastMessage {
  id: number;
  title: string;
  description?: string;
  variant: "default" | "success" | "destructive";
}

let toasts: ToastMessage[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const listener of listeners) listener();
}

/** Shows a short message in the corner of the screen. */
export function toast(message: Omit<ToastMessage, "id" | "variant"> & Partial<ToastMessage>) {
  toasts = [...toasts.slice(-3), { variant: "default", ...message, id: nextId++ }];
  emit();
}

function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function Toaster() {
  const { t } = useTranslation();
  const items = useSyncExternalStore(subscribe, () => toasts);
  return (
    <ToastPrimitive.Provider swipeDirection="right" label={t("common.notifications")}>
      {items.map((item) => (
        <ToastPrimitive.Root
          key={item.id}
          type={item.variant === "destructive" ? "foreground" : "background"}
          duration={item.variant === "destructive" ? 8000 : 4000}
          onOpenChange={(open) => {
            if (!open) dismiss(item.id);
          }}
          className={cn(
            "relative flex w-full items-start gap-3 rounded-lg border bg-background p-4 pr-9 shadow-lg",
            item.variant === "destructive" && "border-destructive/50",
            item.variant === "success" && "border-success/50",
          )}
        >
          <div className="grid gap-1">
            <ToastPrimitive.Title
              className={cn(
                "text-sm font-semibold",
                item.variant === "destructive" && "text-destructive",
              )}
            >
              {item.title}
            </ToastPrimitive.Title>
            {item.description ? (
              <ToastPrimitive.Description className="text-sm break-words text-muted-foreground">
                {item.description}
              </ToastPrimitive.Description>
            ) : null}
          </div>
          <ToastPrimitive.Close
            className="absolute top-3 right-3 rounded-sm opacity-70 hover:opacity-100 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
            aria-label={t("common.close")}
          >
            <XIcon className="size-4" aria-hidden />
          </ToastPrimitive.Close>
        </ToastPrimitive.Root>
      ))}
      <ToastPrimitive.Viewport className="fixed right-0 bottom-0 z-[100] flex max-h-screen w-full flex-col gap-2 p-4 outline-none sm:max-w-sm" />
    </ToastPrimitive.Provider>
  );
}
