import i18n from "i18next";

function locale(): string {
  return i18n.language || "en";
}

// Intl formatters are costly to build and tables format thousands of cells: keep one per
// locale and options.
const formatters = new Map<
  string,
  Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat
>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
  kind: string,
  options: object,
  create: (locale: string) => T,
): T {
  const lang = locale();
  const key = `${kind}|${lang}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key) as T | undefined;
  if (!formatter) {
    formatter = create(lang);
    formatters.set(key, formatter);
  }
  return formatter;
}

const numberFormat = (options: Intl.NumberFormatOptions) =>
  cached("number", options, (lang) => new Intl.NumberFormat(lang, options));
const dateFormat = (options: Intl.DateTimeFormatOptions) =>
  cached("date", options, (lang) => new Intl.DateTimeFormat(lang, options));

export function formatNumber(value: number, maximumFractionDigits = 0): string {
  return numberFormat({ maximumFractionDigits }).format(value);
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${numberFormat({ maximumFractionDigits: 1 }).format(value)}%`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, unit === 0 ? 0 : 1)} ${BYTE_UNITS[unit] ?? "B"}`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return dateFormat({ dateStyle: "medium", timeStyle: "medium" }).format(date);
}

export function formatTime(iso: string | number): string {
  return dateFormat({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/** "3 minutes ago", in the console's language. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "—";
  let value = (at - now) / 1000;
  const format = cached(
    "relative",
    { numeric: "auto" },
    (lang) => new Intl.RelativeTimeFormat(lang, { numeric: "auto" }),
  );
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(value) < size) return format.format(Math.round(value), unit);
    value /= size;
  }
  return format.format(Math.round(value), "year");
}

/** A number of seconds as "3d 4h", "5m 2s" … */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${rest}s`;
  return `${rest}s`;
}

/** Shortens a UUID to its first block for compact display. */
export function shortId(id: string): string {
  return id.split("-")[0] ?? id;
}

/** Ticks on a time axis: hours and minutes, or month and day for long ranges. */
export function formatAxisTime(value: number, long: boolean): string {
  return dateFormat(
    long ? { month: "short", day: "numeric" } : { hour: "2-digit", minute: "2-digit" },
  ).format(new Date(value));
}
