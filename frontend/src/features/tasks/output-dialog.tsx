import { useTranslation } from "react-i18next";
import type { TaskRecord } from "@/api/types";
import { CodeBlock } from "@/components/code-block";
import { CopyButton } from "@/components/copy-button";
import { RecordStatusBadge } from "@/components/status-badges";
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
import { cellText, outputAsTable } from "./output-table";

/** One record's output: as sent, and as a table when it is JSON. */
export function OutputDialog({
  record,
  instanceName,
  onClose,
}: {
  record: TaskRecord | null;
  instanceName: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const table = outputAsTable(record?.output);
  return (
    <Dialog open={record !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-w-4xl">
        <DialogHeader>
          <DialogTitle>{t("tasks.outputOf", { name: instanceName })}</DialogTitle>
          <DialogDescription asChild>
            <div className="flex flex-wrap items-center gap-2">
              {record ? <RecordStatusBadge status={record.status} /> : null}
              {record?.exit_code !== null && record?.exit_code !== undefined ? (
                <span>{t("tasks.exitCode", { code: record.exit_code })}</span>
              ) : null}
              {record?.output_truncated ? <span>{t("tasks.truncated")}</span> : null}
            </div>
          </DialogDescription>
        </DialogHeader>
        {record?.error ? (
          <div className="grid gap-1">
            <p className="text-sm font-medium text-destructive">{t("tasks.error")}</p>
            <CodeBlock>{record.error}</CodeBlock>
          </div>
        ) : null}
        {record?.output ? (
          <Tabs defaultValue={table ? "table" : "raw"}>
            <div className="flex items-center justify-between gap-2">
              <TabsList>
                <TabsTrigger value="raw">{t("tasks.raw")}</TabsTrigger>
                <TabsTrigger value="table" disabled={!table}>
                  {t("tasks.asTable")}
                </TabsTrigger>
              </TabsList>
              <CopyButton value={record.output} />
            </div>
            <TabsContent value="raw">
              <CodeBlock label={t("tasks.raw")} className="max-h-[60vh]">
                {record.output}
              </CodeBlock>
            </TabsContent>
            {table ? (
              <TabsContent value="table" className="max-h-[60vh] overflow-auto rounded-md border">
                <Table>
                  <TableCaption>{t("tasks.asTable")}</TableCaption>
                  <TableHeader>
                    <TableRow>
                      {table.columns.map((c) => (
                        <TableHead key={c}>{c}</TableHead>
                      ))}
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {table.rows.map((row, i) => (
                      <TableRow key={i}>
                        {row.map((cell, j) => (
                          <TableCell key={j} className="font-mono text-xs break-all">
                            {cellText(cell)}
                          </TableCell>
                        ))}
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TabsContent>
            ) : null}
          </Tabs>
        ) : (
          <p className="text-sm text-muted-foreground">{t("tasks.noOutput")}</p>
        )}
      </DialogContent>
    </Dialog>
  );
}
