/**
 * Step "report": reads the table back and reports on it with the core, as `analyze` reports on its replay; and the
 * untracked writes the run published, which only a run with HeadObject (the sweep) can know.
 */
import { reportOnRecords, type ReplicationPair, type VersionRecord } from '../../lambda/core';
import type { Outcome } from '../../lambda/core/outcomes';
import { scanRecords, type TableRef } from './table-scan';

export async function reportFromTable(
  table: TableRef,
  options: {
    pairs: readonly ReplicationPair[];
    overdueMinutes: number;
    sloMinutes?: number;
    at?: number;
    rejected: number;
    ignored: number;
  },
) {
  const records: VersionRecord[] = [];
  for await (const stored of scanRecords(table)) records.push(stored.record);
  return reportOnRecords(
    () => records,
    {
      pairs: [...options.pairs],
      overdueMillis: options.overdueMinutes * 60_000,
      ...(options.sloMinutes !== undefined ? { sloMillis: options.sloMinutes * 60_000 } : {}),
      at: options.at,
      fallbackAt: Date.now(),
    },
    { rejected: options.rejected, ignored: options.ignored },
  );
}

/** One source bucket's UntrackedWrites in this run. */
export interface UntrackedCount {
  readonly source: string;
  readonly count: number;
}

/** UntrackedWrites per source bucket, as published (one datum per `untracked` outcome), sorted by source. */
export function untrackedBySource(published: Iterable<Outcome>): UntrackedCount[] {
  const counts = new Map<string, number>();
  for (const o of published) if (o.kind === 'untracked') counts.set(o.source, (counts.get(o.source) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([source, count]) => ({ source, count }));
}
