import type { FailureClass } from './failures';
import { PairStatistics, bySourceThenDestination, compareText, type LatencySummary, type StatisticsPart } from './statistics';
import { evaluateVersion, indexPairs, inferPairs, type EvaluationOptions, type PairIndex } from './evaluate';
import { SloBuilder, type SloPart, type SloReport } from './slo';
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
    /** FAILED object versions only (data failures, and metadata failures without a proven replica). */
    failed: number;
    /** Of `completed`: versions with a metadata failure notice (ACL, tags, retention, legal hold). */
    metadataFailed: number;
    /** Delete markers S3 could not replicate (DstDelObjNotPermitted). */
    deleteMarkersFailed: number;
    /** Source versions deleted before they replicated (Src*NotFound). */
    sourceDeleted: number;
    pending: number;
    overdue: number;
    bytes: number;
    latencySeconds: LatencySummary;
  }[];
  /** Every failure notice that decided or marked a pair: FAILED versions, metadata failures of completed ones, delete markers, deleted sources. */
  failures: { source: string; destination: string; key: string; versionId: string; reason: string; class: FailureClass }[];
  overdue: { source: string; destination: string; key: string; versionId: string; pendingSeconds: number }[];
  /**
   * Writes into a destination, for versions whose source write the input does not hold, that no single configured
   * source explains: replication writes into a destination with several configured sources, and writes whose event
   * does not say replication made them (S3's EventBridge events). Only HeadObject can tell (the cloud monitor).
   */
  unattributed: number;
  rejected: number;
  ignored: number;
  /** RPO compliance per pair and per UTC day of the source write (lambda/core/slo.ts). */
  slo: SloReport;
}

/** Extra detail the table shows but the JSON schema does not carry. */
export interface ReportDetail {
  failedByReason: Map<string, Readonly<Record<string, number>>>;
  /** Completed versions per latency bucket (`LATENCY_BUCKET_SECONDS`), by `source>destination`: the HTML histogram. */
  latencyHistogram: Map<string, readonly number[]>;
}

type Listed = { source: string; destination: string; key: string; versionId: string };
const byPairThenObject = (a: Listed, b: Listed) =>
  bySourceThenDestination(a, b) || compareText(a.key, b.key) || compareText(a.versionId, b.versionId);

export interface ReportTerms {
  /** The evaluation time: the report's `asOf`; pending and failed versions are aged to it. */
  readonly at: EpochMillis;
  /** The recovery point objective of the `slo` section, in seconds. */
  readonly objectiveSeconds: number;
}

/** What a `ReportBuilder` has collected, as plain data (it crosses worker threads), for `merge`. */
export interface ReportPart {
  readonly statistics: StatisticsPart;
  readonly slo: SloPart;
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
  private readonly slo: SloBuilder;
  private readonly failures: ReplicationReport['failures'] = [];
  private readonly overdue: ReplicationReport['overdue'] = [];
  private unattributed = 0;

  constructor(private readonly terms: ReportTerms) {
    this.slo = new SloBuilder(terms.objectiveSeconds, terms.at);
  }

  /** A replication write no single configured source explains (see `ReplicationReport.unattributed`). */
  addUnattributed(count = 1): void {
    this.unattributed += count;
  }

  add(state: PairState): void {
    this.statistics.add(state);
    this.slo.addState(state);
    const { source, destination, key, versionId } = state;
    // A failure that decided the pair, or a metadata failure of a completed one (its failureReason is set exactly then).
    if (state.state !== 'OVERDUE' && state.state !== 'PENDING' && state.failureReason !== undefined)
      this.failures.push({ source, destination, key, versionId, reason: state.failureReason, class: state.failureClass ?? 'data' });
    else if (state.state === 'FAILED') this.failures.push({ source, destination, key, versionId, reason: 'Unknown', class: 'data' });
    else if (state.state === 'OVERDUE')
      this.overdue.push({ source, destination, key, versionId, pendingSeconds: state.pendingSeconds ?? 0 });
  }

  part(): ReportPart {
    return {
      statistics: this.statistics.part(),
      slo: this.slo.part(),
      failures: this.failures,
      overdue: this.overdue,
      unattributed: this.unattributed,
    };
  }

  merge(part: ReportPart): void {
    this.statistics.merge(part.statistics);
    this.slo.merge(part.slo);
    for (const failure of part.failures) this.failures.push(failure);
    for (const overdue of part.overdue) this.overdue.push(overdue);
    this.unattributed += part.unattributed;
  }

  build(counts: { rejected: number; ignored: number }): { report: ReplicationReport; detail: ReportDetail } {
    const summaries = this.statistics.summaries();
    const report: ReplicationReport = {
      asOf: new Date(this.terms.at).toISOString(),
      pairs: summaries.map(
        ({
          source,
          destination,
          completed,
          completedWithoutSource,
          failed,
          metadataFailed,
          deleteMarkersFailed,
          sourceDeleted,
          pending,
          overdue,
          bytes,
          latencySeconds,
        }) => ({
          source,
          destination,
          completed,
          completedWithoutSource,
          failed,
          metadataFailed,
          deleteMarkersFailed,
          sourceDeleted,
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
      slo: this.slo.build(),
    };
    const failedByReason = new Map(summaries.map((s) => [`${s.source}>${s.destination}`, s.failedByReason]));
    const latencyHistogram = new Map(summaries.map((s) => [`${s.source}>${s.destination}`, s.latencyHistogram]));
    return { report, detail: { failedByReason, latencyHistogram } };
  }
}

export interface RecordsReportOptions {
  /** Configured pairs; when empty they are inferred from the records. */
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMillis: number;
  /** The recovery point objective of the `slo` section; default: `overdueMillis`. */
  readonly sloMillis?: number;
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
  const builder = new ReportBuilder({ at, objectiveSeconds: (options.sloMillis ?? options.overdueMillis) / 1000 });
  addRecords(builder, records(), pairs, { at, overdueMillis: options.overdueMillis });
  return builder.build(counts);
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
