import { useTranslation } from "react-i18next";
import { ROLES, type Role } from "@/api/types";
import { Checkbox } from "@/components/ui/checkbox";
import { translateMessage } from "@/lib/validation";

export function RoleCheckboxes({
  value,
  onChange,
  error,
  idPrefix,
}: {
  value: Role[];
  onChange: (roles: Role[]) => void;
  error: string | undefined;
  idPrefix: string;
}) {
  const { t } = useTranslation();
  return (
    <fieldset
      className="grid gap-2"
      aria-describedby={error ? `${idPrefix}-roles-error` : undefined}
    >
      <legend className="mb-1 text-sm font-medium">{t("users.roles")}</legend>
      {ROLES.map((role) => (
        <div key={role} className="flex items-start gap-2">
          <Checkbox
            id={`${idPrefix}-${role}`}
            checked={value.includes(role)}
            onCheckedChange={(on) =>
              onChange(on === true ? [...value, role] : value.filter((r) => r !== role))
            }
          />
          <label htmlFor={`${idPrefix}-${role}`} className="grid gap-0.5 text-sm leading-none">
            <span className="font-medium">{t(`roles.${role}`)}</span>
            <span className="text-xs text-muted-foreground">{t(`roleDescriptions.${role}`)}</span>
          </label>
        </div>
      ))}
      {error ? (
        <p id={`${idPrefix}-roles-error`} className="text-xs font-medium text-destructive">
          {translateMessage(t, error)}
        </p>
      ) : null}
    </fieldset>
  );
}
