/**
 * The report for people (the table), and `printable`, which every text from the input goes through before it
 * reaches a terminal.
 */
import type { ReplicationReport, ReportDetail, SloFigures, SloReport } from '../../lambda/core';
import { failureHint } from '../../lambda/core/failures';

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides, escaped as
 * `\uXXXX`: a key or a file name cannot move the cursor, clear the screen, reorder a line or start a new one
 * (and so forge a `rejected` line).
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
export const printable = (text: string): string => text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const LIST_LIMIT = 20;

export function table(header: string[], cells: string[][], rightAligned: ReadonlySet<number>): string[] {
  const rows = cells.map((row) => row.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
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
      // Issue 15's classes, which are neither FAILED nor PENDING (metadataFailed: of the completed ones).
      const others = [
        p.metadataFailed > 0 ? `${p.metadataFailed} of the completed with a metadata failure (ACL, tags, Object Lock)` : '',
        p.deleteMarkersFailed > 0 ? `${p.deleteMarkersFailed} delete marker${p.deleteMarkersFailed === 1 ? '' : 's'} not replicated` : '',
        p.sourceDeleted > 0 ? `${p.sourceDeleted} source version${p.sourceDeleted === 1 ? '' : 's'} deleted before replicating` : '',
      ].filter((text) => text !== '');
      if (others.length > 0) out.push('', `${printable(p.source)} → ${printable(p.destination)}: ${others.join(', ')}`);
      const reasons = Object.entries(detail.failedByReason.get(`${p.source}>${p.destination}`) ?? {});
      if (reasons.length > 0) {
        out.push(
          '',
          `Failures ${printable(p.source)} → ${printable(p.destination)} by reason: ${reasons
            .sort()
            .map(([r, n]) => `${printable(r)} ${n}`)
            .join(', ')}`,
        );
      }
    }
  }
  if (report.failures.length > 0) {
    out.push('', `Failed replications (${report.failures.length}):`);
    const shown = report.failures.slice(0, LIST_LIMIT);
    out.push(
      ...table(
        ['SOURCE', 'DESTINATION', 'REASON', 'CLASS', 'KEY', 'VERSION'],
        shown.map((f) => [f.source, f.destination, f.reason, f.class, f.key, f.versionId]),
        new Set(),
      ),
    );
    if (report.failures.length > shown.length) out.push(`… and ${report.failures.length - shown.length} more (--format json lists all)`);
    // One hint per reason of the whole list (not only the rows shown), from the S3 docs' table (lambda/core/failures.ts).
    const reasons = [...new Set(report.failures.map((f) => f.reason))].sort();
    out.push('', 'How to fix (S3 User Guide, "Amazon S3 replication failure reasons"):');
    for (const reason of reasons) out.push(`  ${printable(reason)}: ${failureHint(reason)}`);
  }
  if (report.overdue.length > 0) {
    out.push('', `Overdue replications (${report.overdue.length}):`);
    const shown = report.overdue.slice(0, LIST_LIMIT);
    out.push(
      ...table(
        ['SOURCE', 'DESTINATION', 'PENDING', 'KEY', 'VERSION'],
        shown.map((o) => [o.source, o.destination, seconds(o.pendingSeconds), o.key, o.versionId]),
        new Set([2]),
      ),
    );
    if (report.overdue.length > shown.length) out.push(`… and ${report.overdue.length - shown.length} more (--format json lists all)`);
  }
  const replicaOnly = report.pairs.filter((p) => p.completedWithoutSource > 0);
  if (replicaOnly.length > 0 || report.unattributed > 0) {
    out.push('', 'Replicas whose source write is not in the input (no latency):');
    for (const p of replicaOnly) out.push(`  ${p.source} → ${p.destination}: ${p.completedWithoutSource} of the ${p.completed} completed`);
    if (report.unattributed > 0)
      out.push(
        `  unattributed (several configured sources, or an event that does not say it is a replica; HeadObject settles it): ${report.unattributed}`,
      );
  }
  out.push(...rpoSection(report.slo));
  out.push('', `Inputs rejected: ${report.rejected}, ignored (not object writes): ${report.ignored}`);
  return out.join('\n') + '\n';
}

/**
 * A share as an auditor reads it: never rounded up (99.996 % is not 100 %), three decimals at most.
 * The JSON carries the exact figure.
 */
function formatPercent(percent: number | null): string {
  if (percent === null) return '-';
  return `${Number((Math.floor(percent * 1000) / 1000).toFixed(3))}%`;
}

/** `RPO`: per pair its total, then one line per UTC day of the source write (analyze, status, report). */
export function rpoSection(slo: SloReport): string[] {
  if (slo.pairs.length === 0) return [];
  const rows: string[][] = [];
  for (const p of slo.pairs) {
    const cells = (f: SloFigures) => [
      String(f.versions),
      String(f.withinObjective),
      String(f.missedObjective),
      formatPercent(f.percentWithin),
      seconds(f.worstSeconds),
    ];
    rows.push([p.source, p.destination, 'all days', ...cells(p)]);
    for (const d of p.days) rows.push(['', '', d.day, ...cells(d)]);
  }
  return [
    '',
    `RPO: replicated within ${seconds(slo.objectiveSeconds)} of the source write, per UTC day of the write ` +
      '(failed versions and those pending longer count as missed; WORST of those is their age)',
    ...table(['SOURCE', 'DESTINATION', 'DAY', 'VERSIONS', 'WITHIN', 'MISSED', '% WITHIN', 'WORST'], rows, new Set([3, 4, 5, 6, 7])),
  ];
}
