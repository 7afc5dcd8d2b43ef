/** Plain-text output: aligned tables and ratio lines with their targets. */

/** A table with a header row; columns after the first are right-aligned (numbers). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

export function fmtMs(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : "n/a";
}

export function fmtPct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : "n/a";
}

/**
 * `label: 93.1%  (target >= 100%: met)`. `min`/`max` are ratios; `asFactor` shows the ratio as
 * "1.40x" (for latency, where smaller is better and the target is a `max`).
 */
export function ratioLine(label: string, ratio: number, target: { min?: number; max?: number; asFactor?: boolean } = {}): string {
  const { min, max, asFactor = false } = target;
  const shown = asFactor ? `${ratio.toFixed(2)}x` : fmtPct(ratio);
  if (min === undefined && max === undefined) return `${label}: ${shown}`;
  const bounds = [min !== undefined ? `>= ${fmtTarget(min, asFactor)}` : "", max !== undefined ? `<= ${fmtTarget(max, asFactor)}` : ""].filter(Boolean).join(", ");
  const met = (min === undefined || ratio >= min) && (max === undefined || ratio <= max);
  return `${label}: ${shown}  (target ${bounds}: ${met ? "met" : "MISSED"})`;
}

function fmtTarget(v: number, asFactor: boolean): string {
  return asFactor ? `${v}x` : `${Math.round(v * 100)}%`;
}

/** A section title. */
export function heading(text: string): string {
  return `\n${text}\n${"=".repeat(text.length)}`;
}
