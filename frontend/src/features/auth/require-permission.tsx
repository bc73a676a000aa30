import { ShieldXIcon } from "lucide-react";
import type { ComponentType, ReactElement, ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { Permission } from "@/api/types";
import { useCan } from "./use-session";

export function Forbidden() {
  const { t } = useTranslation();
  return (
    <div
      role="alert"
      className="mx-auto mt-16 flex max-w-md flex-col items-center gap-3 text-center"
    >
      <ShieldXIcon className="size-10 text-muted-foreground" aria-hidden />
      <h1 className="text-xl font-semibold">{t("auth.forbiddenTitle")}</h1>
      <p className="text-sm text-muted-foreground">{t("auth.forbiddenBody")}</p>
    </div>
  );
}

export function RequirePermission({
  permission,
  children,
}: {
  permission: Permission;
  children: ReactNode;
}) {
  return useCan(permission) ? children : <Forbidden />;
}

/** A route component shown only to users whose roles grant `permission`. */
export function guarded(permission: Permission, Page: ComponentType): () => ReactElement {
  function Guarded(): ReactElement {
    return (
      <RequirePermission permission={permission}>
        <Page />
      </RequirePermission>
    );
  }
  Guarded.displayName = `Guarded(${Page.displayName ?? Page.name})`;
  return Guarded;
}
