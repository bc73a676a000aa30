import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { LockOpenIcon, PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { User } from "@/api/types";
import { ConfirmAction } from "@/components/confirm-action";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { SearchInput } from "@/components/search-input";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { StatusBadge } from "@/components/status-badges";
import { StatusFilter } from "@/components/status-filter";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
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
import { toast } from "@/components/ui/toast";
import { useSession } from "@/features/auth/use-session";
import { formatRelative } from "@/lib/format";
import { deleteUser, listUsers, unlockUser } from "./api";
import { CreateUserDialog, EditUserDialog } from "./user-form-dialog";

const route = getRouteApi("/app/users");
const PER_PAGE = 50;

export function UsersPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const client = useQueryClient();
  const session = useSession();
  const [createOpen, setCreateOpen] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const page = search.page ?? 1;
  const params = { q: search.q, status: search.status, page, per_page: PER_PAGE };
  const query = useQuery({
    queryKey: queryKeys.users.list(params),
    queryFn: () => listUsers(params),
    placeholderData: keepPreviousData,
  });
  const unlock = useMutation({
    mutationFn: (user: User) => unlockUser(user.id),
    onSuccess: (_d, user) =>
      toast({ title: t("users.unlocked", { name: user.username }), variant: "success" }),
  });
  const remove = useMutation({
    mutationFn: (user: User) => deleteUser(user.id),
    onSuccess: async (_d, user) => {
      await client.invalidateQueries({ queryKey: queryKeys.users.all });
      toast({ title: t("users.deleted", { name: user.username }), variant: "success" });
    },
  });

  return (
    <>
      <PageHeader
        title={t("users.title")}
        description={t("users.subtitle")}
        actions={
          <Button onClick={() => setCreateOpen(true)}>
            <PlusIcon aria-hidden />
            {t("users.new")}
          </Button>
        }
      />
      <Card>
        <CardContent className="pt-5">
          <div className="mb-4 flex flex-wrap gap-2">
            <SearchInput
              className="w-full max-w-xs"
              label={t("common.search")}
              value={search.q ?? ""}
              onChange={(q) =>
                void navigate({ search: (s) => ({ ...s, q: q || undefined, page: undefined }) })
              }
            />
            <StatusFilter
              value={search.status}
              onChange={(status) =>
                void navigate({ search: (s) => ({ ...s, status, page: undefined }) })
              }
            />
          </div>
          {query.isPending ? (
            <LoadingState />
          ) : query.isError ? (
            <ErrorState error={query.error} onRetry={() => void query.refetch()} />
          ) : query.data.items.length === 0 ? (
            <EmptyState title={t("common.noMatches")} />
          ) : (
            <>
              <Table>
                <TableCaption>{t("users.title")}</TableCaption>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("users.username")}</TableHead>
                    <TableHead>{t("users.displayName")}</TableHead>
                    <TableHead>{t("users.roles")}</TableHead>
                    <TableHead>{t("common.status")}</TableHead>
                    <TableHead>{t("common.updated")}</TableHead>
                    <TableHead>
                      <span className="sr-only">{t("common.actions")}</span>
                    </TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {query.data.items.map((user) => {
                    const self = user.id === session?.user.id;
                    return (
                      <TableRow key={user.id}>
                        <TableCell className="font-medium">
                          {user.username}
                          {self ? (
                            <Badge variant="outline" className="ml-2">
                              {t("users.you")}
                            </Badge>
                          ) : null}
                        </TableCell>
                        <TableCell>{user.display_name ?? "—"}</TableCell>
                        <TableCell>
                          <span className="flex flex-wrap gap-1">
                            {user.roles.map((role) => (
                              <Badge key={role} variant="secondary">
                                {t(`roles.${role}`)}
                              </Badge>
                            ))}
                          </span>
                        </TableCell>
                        <TableCell>
                          <StatusBadge status={user.status} />
                        </TableCell>
                        <TableCell className="text-muted-foreground">
                          {formatRelative(user.updated_at)}
                        </TableCell>
                        <TableCell className="text-right whitespace-nowrap">
                          <Button
                            variant="ghost"
                            size="icon"
                            aria-label={t("common.editNamed", { name: user.username })}
                            onClick={() => setEditing(user)}
                          >
                            <PencilIcon aria-hidden />
                          </Button>
                          <Button
                            variant="ghost"
                            size="icon"
                            aria-label={t("users.unlockNamed", { name: user.username })}
                            title={t("users.unlockHint")}
                            onClick={() => unlock.mutate(user)}
                          >
                            <LockOpenIcon aria-hidden />
                          </Button>
                          {self ? null : (
                            <ConfirmAction
                              trigger={
                                <Button
                                  variant="ghost"
                                  size="icon"
                                  aria-label={t("common.deleteNamed", { name: user.username })}
                                >
                                  <Trash2Icon aria-hidden />
                                </Button>
                              }
                              title={t("users.deleteTitle", { name: user.username })}
                              description={t("users.deleteBody")}
                              confirmLabel={t("common.delete")}
                              onConfirm={() => remove.mutate(user)}
                            />
                          )}
                        </TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
              <Pagination
                page={page}
                perPage={PER_PAGE}
                total={query.data.total}
                onPageChange={(p) => void navigate({ search: (s) => ({ ...s, page: p }) })}
              />
            </>
          )}
        </CardContent>
      </Card>
      <CreateUserDialog open={createOpen} onOpenChange={setCreateOpen} />
      <EditUserDialog user={editing} onClose={() => setEditing(null)} />
    </>
  );
}
