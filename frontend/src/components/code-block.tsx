import { cn } from "@/lib/utils";

/** Preformatted text (scripts, output, JSON), scrollable and selectable. */
export function CodeBlock({
  children,
  className,
  label,
}: {
  children: string;
  className?: string;
  label?: string;
}) {
  return (
    <pre
      aria-label={label}
      tabIndex={0}
      className={cn(
        "max-h-96 overflow-auto rounded-md border bg-muted/60 p-3 font-mono text-xs leading-relaxed break-all whitespace-pre-wrap",
        className,
      )}
    >
      {children}
    </pre>
  );
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
