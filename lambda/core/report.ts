import { PairStatistics, bySourceThenDestination, compareText, type LatencySummary, type StatisticsPart } from './statistics';
import { evaluateVersion, indexPairs, inferPairs, type EvaluationOptions, type PairIndex } from './evaluate';
import { latestTime } from './tracker';
import type { EpochMillis, PairState, ReplicationPair, VersionRecord } from './types';

/** The report `crr-monitor analyze --format json` prints, field for field. */
export interface ReplicationReport {
  asOf: string;
  pairs: {
    source: string;
    destination: string;
    completed: number;
    /** Of `completed`: replication writes whose source write the input does not hold (no latency). */
    completedWithoutSource: number;
    failed: number;
    pending: number;
    overdue: number;
    bytes: number;
    latencySeconds: LatencySummary;
  }[];
  failures: { source: string; destination: string; key: string; versionId: string; reason: string }[];
  overdue: { source: string; destination: string; key: string; versionId: string; pendingSeconds: number }[];
  /**
   * Replication writes into a destination with several configured sources, for versions whose source write the
   * input does not hold: which pair they complete only HeadObject on the candidates can tell (the cloud monitor).
   */
  unattributed: number;
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

/** What a `ReportBuilder` has collected, as plain data (it crosses worker threads), for `merge`. */
export interface ReportPart {
  readonly statistics: StatisticsPart;
  readonly failures: ReplicationReport['failures'];
  readonly overdue: ReplicationReport['overdue'];
  readonly unattributed: number;
}

/**
 * Collects pair states one at a time (nothing else is kept) and builds the report. Builders fed disjoint sets of
 * versions and merged build the report one builder fed them all builds (lists are sorted, counts summed).
 */
export class ReportBuilder {
  private readonly statistics = new PairStatistics();
  private readonly failures: ReplicationReport['failures'] = [];
  private readonly overdue: ReplicationReport['overdue'] = [];
  private unattributed = 0;

  /** A replication write no single configured source explains (see `ReplicationReport.unattributed`). */
  addUnattributed(count = 1): void {
    this.unattributed += count;
  }

  add(state: PairState): void {
    this.statistics.add(state);
    const { source, destination, key, versionId } = state;
    if (state.state === 'FAILED') this.failures.push({ source, destination, key, versionId, reason: state.failureReason ?? 'Unknown' });
    else if (state.state === 'OVERDUE')
      this.overdue.push({ source, destination, key, versionId, pendingSeconds: state.pendingSeconds ?? 0 });
  }

  part(): ReportPart {
    return { statistics: this.statistics.part(), failures: this.failures, overdue: this.overdue, unattributed: this.unattributed };
  }

  merge(part: ReportPart): void {
    this.statistics.merge(part.statistics);
    for (const failure of part.failures) this.failures.push(failure);
    for (const overdue of part.overdue) this.overdue.push(overdue);
    this.unattributed += part.unattributed;
  }

  build(asOf: EpochMillis, counts: { rejected: number; ignored: number }): { report: ReplicationReport; detail: ReportDetail } {
    const summaries = this.statistics.summaries();
    const report: ReplicationReport = {
      asOf: new Date(asOf).toISOString(),
      pairs: summaries.map(
        ({ source, destination, completed, completedWithoutSource, failed, pending, overdue, bytes, latencySeconds }) => ({
          source,
          destination,
          completed,
          completedWithoutSource,
          failed,
          pending,
          overdue,
          bytes,
          latencySeconds,
        }),
      ),
      failures: [...this.failures].sort(byPairThenObject),
      overdue: [...this.overdue].sort(byPairThenObject),
      unattributed: this.unattributed,
      rejected: counts.rejected,
      ignored: counts.ignored,
    };
    const failedByReason = new Map(summaries.map((s) => [`${s.source}>${s.destination}`, s.failedByReason]));
    return { report, detail: { failedByReason } };
  }
}

export interface RecordsReportOptions {
  /** Configured pairs; when empty they are inferred from the records. */
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMillis: number;
  /** Evaluation time; default: the latest event time in the records. */
  readonly at?: EpochMillis;
  /** Used when `at` is not given and the records hold no event time. */
  readonly fallbackAt: EpochMillis;
}

/**
 * The report over a set of merged version records. The offline replay (analyze) and the
 * DynamoDB-backed pipeline (local/demo) both end here, so for the same events they print the same.
 */
export function reportOnRecords(
  records: () => Iterable<VersionRecord>,
  options: RecordsReportOptions,
  counts: { rejected: number; ignored: number },
): { report: ReplicationReport; detail: ReportDetail } {
  const pairs = indexPairs(options.pairs.length > 0 ? options.pairs : inferPairs(records()));
  const at = options.at ?? latestTime(records()) ?? options.fallbackAt;
  const builder = new ReportBuilder();
  addRecords(builder, records(), pairs, { at, overdueMillis: options.overdueMillis });
  return builder.build(at, counts);
}

/** Evaluates each record into `builder`: the loop `reportOnRecords` runs, also run by each replay worker over its versions. */
export function addRecords(
  builder: ReportBuilder,
  records: Iterable<VersionRecord>,
  pairs: PairIndex,
  evaluation: EvaluationOptions,
): void {
  for (const record of records) {
    const { states, unattributed } = evaluateVersion(record, pairs, evaluation);
    for (const state of states) builder.add(state);
    if (unattributed.length > 0) builder.addUnattributed(unattributed.length);
  }
}
