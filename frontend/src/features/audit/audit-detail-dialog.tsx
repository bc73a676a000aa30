import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { queryKeys } from "@/api/query-keys";
import type { DiffEntry } from "@/api/types";
import { CodeBlock, formatJson } from "@/components/code-block";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import {
  Table,
  TableBody,
  TableCaption,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from "@/components/ui/table";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { formatDateTime } from "@/lib/format";
import { getAuditRecord } from "./api";

function Value({ value, tone }: { value: unknown; tone: "before" | "after" }) {
  if (value === undefined) return <span className="text-muted-foreground">—</span>;
  return (
    <pre
      className={
        tone === "before"
          ? "rounded bg-destructive/10 px-2 py-1 font-mono text-xs break-all whitespace-pre-wrap"
          : "rounded bg-success/10 px-2 py-1 font-mono text-xs break-all whitespace-pre-wrap"
      }
    >
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

const KIND_VARIANT = { added: "success", removed: "destructive", changed: "warning" } as const;

function DiffTable({ diff }: { diff: DiffEntry[] }) {
  const { t } = useTranslation();
  if (diff.length === 0) return <EmptyState title={t("audit.noChanges")} />;
  return (
    <Table>
      <TableCaption>{t("audit.diff")}</TableCaption>
      <TableHeader>
        <TableRow>
          <TableHead>{t("audit.field")}</TableHead>
          <TableHead>{t("audit.change")}</TableHead>
          <TableHead>{t("audit.before")}</TableHead>
          <TableHead>{t("audit.after")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {diff.map((entry) => (
          <TableRow key={entry.path}>
            <TableCell className="align-top font-mono text-xs">{entry.path}</TableCell>
            <TableCell className="align-top">
              <Badge variant={KIND_VARIANT[entry.kind]}>{t(`audit.kinds.${entry.kind}`)}</Badge>
            </TableCell>
            <TableCell className="max-w-xs align-top">
              <Value value={entry.before ?? undefined} tone="before" />
            </TableCell>
            <TableCell className="max-w-xs align-top">
              <Value value={entry.after ?? undefined} tone="after" />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** One audit record: who did what, and the field-by-field change. */
export function AuditDetailDialog({
  id,
  onClose,
}: {
  id: string | undefined;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: queryKeys.audit.detail(id ?? ""),
    queryFn: () => getAuditRecord(id ?? ""),
    enabled: id !== undefined,
  });
  return (
    <Dialog open={id !== undefined} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-w-4xl">
        <DialogHeader>
          <DialogTitle>{query.data ? query.data.action : t("audit.record")}</DialogTitle>
          <DialogDescription>
            {query.data
              ? t("audit.by", {
                  actor: query.data.actor_username,
                  at: formatDateTime(query.data.created_at),
                })
              : t("common.loading")}
          </DialogDescription>
        </DialogHeader>
        {query.isPending ? (
          <LoadingState />
        ) : query.isError ? (
          <ErrorState error={query.error} onRetry={() => void query.refetch()} />
        ) : (
          <>
            <dl className="grid gap-2 text-sm sm:grid-cols-3">
              <div>
                <dt className="text-xs text-muted-foreground">{t("audit.resource")}</dt>
                <dd>
                  {query.data.resource_type}{" "}
                  <code className="text-xs break-all">{query.data.resource_id ?? ""}</code>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-muted-foreground">{t("errors.requestId")}</dt>
                <dd className="font-mono text-xs break-all">{query.data.request_id ?? "—"}</dd>
              </div>
            </dl>
            <Tabs defaultValue="diff">
              <TabsList>
                <TabsTrigger value="diff">{t("audit.diff")}</TabsTrigger>
                <TabsTrigger value="before">{t("audit.before")}</TabsTrigger>
                <TabsTrigger value="after">{t("audit.after")}</TabsTrigger>
              </TabsList>
              <TabsContent value="diff" className="max-h-[55vh] overflow-auto">
                <DiffTable diff={query.data.diff} />
              </TabsContent>
              <TabsContent value="before">
                <CodeBlock className="max-h-[55vh]">
                  {query.data.before == null ? "—" : formatJson(query.data.before)}
                </CodeBlock>
              </TabsContent>
              <TabsContent value="after">
                <CodeBlock className="max-h-[55vh]">
                  {query.data.after == null ? "—" : formatJson(query.data.after)}
                </CodeBlock>
              </TabsContent>
            </Tabs>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
