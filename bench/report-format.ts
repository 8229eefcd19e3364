/** How the reports lay figures out: plain-text tables, rounded figures, shares as percentages. */

/** A figure rounded to `digits` decimals, or null when there is none (JSON has no NaN or undefined). */
export function round(value: number | undefined, digits: number): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
}

/** A table in monospace: the first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("   ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const percent = (share: number | undefined) =>
  share === undefined ? "n/a" : `${Math.round(share * 100)}%`;
