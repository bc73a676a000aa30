import { Link } from "@tanstack/react-router";
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDownIcon, ArrowUpIcon, ChevronsUpDownIcon } from "lucide-react";
import { useMemo, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { Application, Instance } from "@/api/types";
import { OnlineBadge, StatusBadge } from "@/components/status-badges";
import { formatPercent, formatRelative } from "@/lib/format";
import { cn } from "@/lib/utils";
import { sortInstances } from "./filter";

const ROW_HEIGHT = 44;
const GRID =
  "grid grid-cols-[7rem_minmax(12rem,2fr)_minmax(9rem,1.2fr)_8.5rem_minmax(8rem,1fr)_5rem_5rem_5rem_8.5rem_6rem]";

function UsageCell({ value }: { value: number }) {
  return (
    <span
      className={cn(
        "tabular-nums",
        value >= 90 ? "font-medium text-destructive" : value >= 75 ? "text-warning" : "",
      )}
    >
      {formatPercent(value)}
    </span>
  );
}

/**
 * The fleet as a sortable table that renders only the rows in view, so ten thousand instances
 * scroll as smoothly as ten. The instances are sorted here (one cheap pass); the table model is
 * built for the rows in view only, so a live update costs the same whatever the fleet's size.
 */
export function InstanceTable({
  instances,
  applications,
  sorting,
  onSortingChange,
}: {
  instances: Instance[];
  applications: ReadonlyMap<string, Application>;
  sorting: SortingState;
  onSortingChange: (sorting: SortingState) => void;
}) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);

  const columns = useMemo<ColumnDef<Instance>[]>(
    () => [
      {
        id: "online",
        accessorFn: (i) => (i.online ? 1 : 0),
        header: t("instances.state"),
        cell: ({ row }) => <OnlineBadge online={row.original.online} />,
      },
      {
        id: "hostname",
        accessorFn: (i) => i.hostname.toLowerCase(),
        header: t("instances.hostname"),
        cell: ({ row }) => (
          <Link
            to="/instances/$instanceId"
            params={{ instanceId: row.original.id }}
            search={{}}
            className="truncate font-medium hover:underline"
            title={row.original.agent_instance_id}
          >
            {row.original.hostname}
          </Link>
        ),
      },
      {
        id: "application",
        accessorFn: (i) => applications.get(i.application_id)?.name ?? "",
        header: t("instances.application"),
        cell: ({ getValue }) => <span className="truncate">{getValue<string>() || "—"}</span>,
      },
      {
        id: "ip",
        accessorFn: (i) => i.ip_address ?? "",
        header: t("instances.ip"),
        cell: ({ getValue }) => (
          <span className="truncate font-mono text-xs">{getValue<string>() || "—"}</span>
        ),
      },
      {
        id: "os",
        accessorFn: (i) => [i.os_type, i.os_version].filter(Boolean).join(" "),
        header: t("instances.os"),
        cell: ({ getValue }) => <span className="truncate">{getValue<string>()}</span>,
      },
      {
        id: "cpu",
        accessorKey: "cpu_usage_percent",
        header: t("metrics.cpu"),
        cell: ({ row }) => <UsageCell value={row.original.cpu_usage_percent} />,
      },
      {
        id: "memory",
        accessorKey: "memory_usage_percent",
        header: t("metrics.memory"),
        cell: ({ row }) => <UsageCell value={row.original.memory_usage_percent} />,
      },
      {
        id: "disk",
        accessorKey: "disk_usage_percent",
        header: t("metrics.disk"),
        cell: ({ row }) => <UsageCell value={row.original.disk_usage_percent} />,
      },
      {
        id: "last_report",
        accessorFn: (i) => Date.parse(i.last_report_at),
        header: t("instances.lastReport"),
        cell: ({ row }) => (
          <span className="truncate text-muted-foreground">
            {formatRelative(row.original.last_report_at)}
          </span>
        ),
      },
      {
        id: "status",
        accessorKey: "status",
        header: t("common.status"),
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
    ],
    [t, applications],
  );

  const sorted = useMemo(
    () => sortInstances(instances, sorting, applications),
    [instances, sorting, applications],
  );
  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => sorted[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items.at(-1)?.index ?? -1;
  const inView = useMemo(
    () => sorted.slice(firstIndex, lastIndex + 1),
    [sorted, firstIndex, lastIndex],
  );

  const table = useReactTable({
    data: inView,
    columns,
    state: { sorting },
    manualSorting: true,
    onSortingChange: (updater) =>
      onSortingChange(typeof updater === "function" ? updater(sorting) : updater),
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.id,
    enableSortingRemoval: true,
  });
  const rows = table.getRowModel().rows;

  return (
    <div
      ref={scrollRef}
      role="table"
      aria-label={t("instances.title")}
      aria-rowcount={sorted.length + 1}
      tabIndex={0}
      data-testid="instance-table"
      className="relative h-[calc(100vh-18rem)] min-h-96 overflow-auto rounded-md border outline-none focus-visible:ring-2 focus-visible:ring-ring"
    >
      <div className="min-w-[68rem]">
        <div role="rowgroup" className="sticky top-0 z-10 border-b bg-muted/95 backdrop-blur">
          {table.getHeaderGroups().map((group) => (
            <div
              role="row"
              aria-rowindex={1}
              key={group.id}
              className={cn(GRID, "h-10 items-center")}
            >
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                return (
                  <div
                    role="columnheader"
                    key={header.id}
                    aria-sort={
                      sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"
                    }
                    className="px-3"
                  >
                    <button
                      type="button"
                      className="inline-flex items-center gap-1 rounded text-xs font-medium text-muted-foreground hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                      onClick={header.column.getToggleSortingHandler()}
                    >
                      {flexRender(header.column.columnDef.header, header.getContext())}
                      {sorted === "asc" ? (
                        <ArrowUpIcon className="size-3" aria-hidden />
                      ) : sorted === "desc" ? (
                        <ArrowDownIcon className="size-3" aria-hidden />
                      ) : (
                        <ChevronsUpDownIcon className="size-3 opacity-50" aria-hidden />
                      )}
                    </button>
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        <div role="rowgroup" className="relative" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index - firstIndex];
            if (!row) return null;
            return (
              <div
                role="row"
                key={row.id}
                aria-rowindex={item.index + 2}
                data-testid="instance-row"
                data-online={row.original.online}
                className={cn(
                  GRID,
                  "absolute top-0 left-0 w-full items-center border-b text-sm hover:bg-muted/50",
                )}
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                {row.getVisibleCells().map((cell) => (
                  <div role="cell" key={cell.id} className="flex min-w-0 items-center px-3">
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
