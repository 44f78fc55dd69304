/**
 * Terminal tables for the reports: columns padded to their widest cell, the first left-aligned and
 * the others right-aligned, a rule under the header.
 * @internal
 */

/** The rows as aligned text lines (no trailing newline). */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths.map((w, i) => (i === 0 ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A rate as a percentage with `digits` decimals ('–' for NaN). */
export function percent(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : '–';
}

/** A number with `digits` decimals ('–' for NaN). */
export function fixed(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** A signed difference in percentage points ('–' for NaN). */
export function points(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return '–';
  const s = (100 * v).toFixed(digits);
  return v > 0 ? `+${s}` : s;
}
