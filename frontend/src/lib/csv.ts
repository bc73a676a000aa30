/** Cells that spreadsheets would run as formulas get a leading `'`, as the server's exports do. */
function defuse(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** RFC 4180 CSV text of a header and rows (CRLF line ends). */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (cells: readonly unknown[]) =>
    cells
      .map((cell) => {
        if (cell === null || cell === undefined) return "";
        const text = typeof cell === "string" ? cell : JSON.stringify(cell);
        return quote(defuse(text));
      })
      .join(",");
  return [line(header), ...rows.map(line)].join("\r\n") + "\r\n";
}
