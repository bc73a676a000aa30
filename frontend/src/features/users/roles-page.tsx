import { useQuery } from "@tanstack/react-query";
import { CheckIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { Permission } from "@/api/types";
import { PageHeader } from "@/components/page-header";
import { ErrorState, LoadingState } from "@/components/states";
import { Card, CardContent } from "@/components/ui/card";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { listRoles } from "./api";

const PERMISSIONS: Permission[] = ["read_fleet", "manage_fleet", "manage_users", "read_audit"];

/** The role catalogue: what each built-in role may do. */
export function RolesPage() {
  const { t } = useTranslation();
  const query = useQuery({ queryKey: queryKeys.roles, queryFn: listRoles, staleTime: 5 * 60_000 });
  return (
    <>
      <PageHeader title={t("users.rolesTitle")} description={t("users.rolesSubtitle")} />
      <Card>
        <CardContent className="pt-5">
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : (
            <Table>
              <TableCaption>{t("users.rolesTitle")}</TableCaption>
              <TableHeader>
                <TableRow>
                  <TableHead>{t("users.role")}</TableHead>
                  {PERMISSIONS.map((p) => (
                    <TableHead key={p} className="text-center">
                      {t(`permissions.${p}`)}
                    </TableHead>
                  ))}
                </TableRow>
              </TableHeader>
              <TableBody>
                {query.data.map((role) => (
                  <TableRow key={role.name}>
                    <TableCell>
                      <p className="font-medium">{t(`roles.${role.name}`)}</p>
                      <p className="text-xs text-muted-foreground">
                        {t(`roleDescriptions.${role.name}`)}
                      </p>
                    </TableCell>
                    {PERMISSIONS.map((p) => (
                      <TableCell key={p} className="text-center">
                        {role.permissions.includes(p) ? (
                          <CheckIcon
                            className="mx-auto size-4 text-success"
                            aria-label={t("common.yes")}
                          />
                        ) : (
                          <span className="text-muted-foreground">
                            <span aria-hidden>—</span>
                            <span className="sr-only">{t("common.no")}</span>
                          </span>
                        )}
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </>
  );
}
