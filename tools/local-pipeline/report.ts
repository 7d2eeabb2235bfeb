/** Step "report": reads the table back and reports on it with the core, as `analyze` reports on its replay. */
import { reportOnRecords, type ReplicationPair, type VersionRecord } from '../../lambda/core';
import { scanRecords, type TableRef } from './table-scan';

export async function reportFromTable(
  table: TableRef,
  options: { pairs: readonly ReplicationPair[]; overdueMinutes: number; at?: number; rejected: number; ignored: number },
) {
  const records: VersionRecord[] = [];
  for await (const stored of scanRecords(table)) records.push(stored.record);
  return reportOnRecords(
    () => records,
    { pairs: [...options.pairs], overdueMillis: options.overdueMinutes * 60_000, at: options.at, fallbackAt: Date.now() },
    { rejected: options.rejected, ignored: options.ignored },
  );
}
