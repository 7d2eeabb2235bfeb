import type { ReplicationReport, ReportDetail } from '../../lambda/core';

const LIST_LIMIT = 20;

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const seconds = (value: number | null) => (value === null ? '-' : `${Number(value.toFixed(3))}s`);

/** The report for people: one row per pair, then the failures and the overdue versions. */
export function formatTable(report: ReplicationReport, detail: ReportDetail): string {
  const out: string[] = [`Replication report as of ${report.asOf}`, ''];
  if (report.pairs.length === 0) {
    out.push('No replication pairs found: no source write was matched with a configured or inferred destination.');
  } else {
    const rows = report.pairs.map((p) => [
      p.source,
      p.destination,
      String(p.completed),
      String(p.failed),
      String(p.pending),
      String(p.overdue),
      formatBytes(p.bytes),
      seconds(p.latencySeconds.p50),
      seconds(p.latencySeconds.p90),
      seconds(p.latencySeconds.p99),
      seconds(p.latencySeconds.max),
    ]);
    const header = ['SOURCE', 'DESTINATION', 'COMPLETED', 'FAILED', 'PENDING', 'OVERDUE', 'BYTES', 'P50', 'P90', 'P99', 'MAX'];
    out.push(...table(header, rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10])));
    for (const p of report.pairs) {
      const reasons = Object.entries(detail.failedByReason.get(`${p.source}>${p.destination}`) ?? {});
      if (reasons.length > 0) {
        out.push('', `Failures ${p.source} → ${p.destination} by reason: ${reasons.sort().map(([r, n]) => `${r} ${n}`).join(', ')}`);
      }
    }
  }
  if (report.failures.length > 0) {
    out.push('', `Failed replications (${report.failures.length}):`);
    const shown = report.failures.slice(0, LIST_LIMIT);
    out.push(...table(['SOURCE', 'DESTINATION', 'REASON', 'KEY', 'VERSION'], shown.map((f) => [f.source, f.destination, f.reason, f.key, f.versionId]), new Set()));
    if (report.failures.length > shown.length) out.push(`… and ${report.failures.length - shown.length} more (--format json lists all)`);
  }
  if (report.overdue.length > 0) {
    out.push('', `Overdue replications (${report.overdue.length}):`);
    const shown = report.overdue.slice(0, LIST_LIMIT);
    out.push(...table(['SOURCE', 'DESTINATION', 'PENDING', 'KEY', 'VERSION'], shown.map((o) => [o.source, o.destination, seconds(o.pendingSeconds), o.key, o.versionId]), new Set([2])));
    if (report.overdue.length > shown.length) out.push(`… and ${report.overdue.length - shown.length} more (--format json lists all)`);
  }
  out.push('', `Inputs rejected: ${report.rejected}, ignored (not object writes): ${report.ignored}`);
  return out.join('\n') + '\n';
}
