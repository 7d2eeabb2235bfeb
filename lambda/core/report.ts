import { PairStatistics, bySourceThenDestination, compareText, type LatencySummary } from './statistics';
import type { EpochMillis, PairState } from './types';

/** The report `crr-monitor analyze --format json` prints, field for field. */
export interface ReplicationReport {
  asOf: string;
  pairs: {
    source: string;
    destination: string;
    completed: number;
    failed: number;
    pending: number;
    overdue: number;
    bytes: number;
    latencySeconds: LatencySummary;
  }[];
  failures: { source: string; destination: string; key: string; versionId: string; reason: string }[];
  overdue: { source: string; destination: string; key: string; versionId: string; pendingSeconds: number }[];
  rejected: number;
  ignored: number;
}

/** Extra detail the table shows but the JSON schema does not carry. */
export interface ReportDetail {
  failedByReason: Map<string, Readonly<Record<string, number>>>;
}

type Listed = { source: string; destination: string; key: string; versionId: string };
const byPairThenObject = (a: Listed, b: Listed) =>
  bySourceThenDestination(a, b) || compareText(a.key, b.key) || compareText(a.versionId, b.versionId);

/** Collects pair states one at a time (nothing else is kept) and builds the report. */
export class ReportBuilder {
  private readonly statistics = new PairStatistics();
  private readonly failures: ReplicationReport['failures'] = [];
  private readonly overdue: ReplicationReport['overdue'] = [];

  add(state: PairState): void {
    this.statistics.add(state);
    const { source, destination, key, versionId } = state;
    if (state.state === 'FAILED') this.failures.push({ source, destination, key, versionId, reason: state.failureReason ?? 'Unknown' });
    else if (state.state === 'OVERDUE') this.overdue.push({ source, destination, key, versionId, pendingSeconds: state.pendingSeconds ?? 0 });
  }

  build(asOf: EpochMillis, counts: { rejected: number; ignored: number }): { report: ReplicationReport; detail: ReportDetail } {
    const summaries = this.statistics.summaries();
    const report: ReplicationReport = {
      asOf: new Date(asOf).toISOString(),
      pairs: summaries.map(({ source, destination, completed, failed, pending, overdue, bytes, latencySeconds }) => ({
        source, destination, completed, failed, pending, overdue, bytes, latencySeconds,
      })),
      failures: [...this.failures].sort(byPairThenObject),
      overdue: [...this.overdue].sort(byPairThenObject),
      rejected: counts.rejected,
      ignored: counts.ignored,
    };
    const failedByReason = new Map(summaries.map((s) => [`${s.source}>${s.destination}`, s.failedByReason]));
    return { report, detail: { failedByReason } };
  }
}
