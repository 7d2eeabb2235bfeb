/**
 * The report over versions shared out between trackers (one per worker thread, each holding every change of the
 * versions it owns): the decisions `reportOnRecords` takes over one tracker, taken over several. Each share says
 * its latest event time and the pairs its versions imply; the evaluation time is the latest of all and the pairs
 * are the union (inferring pairs looks at each version alone); each share then evaluates its versions into a report
 * part, and the parts merge into the report one tracker holding every version gives.
 */
import {
  addRecords,
  indexPairs,
  inferPairs,
  latestTime,
  ReportBuilder,
  type EpochMillis,
  type ReplicationPair,
  type ReplicationReport,
  type ReportDetail,
  type ReportPart,
  type VersionRecord,
} from '../../lambda/core';

export interface ShareSummary {
  /** The pairs its versions imply (empty unless asked for: pairs are configured). */
  readonly inferred: ReplicationPair[];
  readonly latest: EpochMillis | undefined;
  readonly versions: number;
}

export function summarizeShare(records: () => Iterable<VersionRecord>, versions: number, wantPairs: boolean): ShareSummary {
  return { inferred: wantPairs ? inferPairs(records()) : [], latest: latestTime(records()), versions };
}

export interface ShareTerms {
  readonly pairs: readonly ReplicationPair[];
  readonly at: EpochMillis;
}

/** The pairs (configured, else the union of the shares') and the evaluation time (given, else the latest event). */
export function termsOf(
  summaries: readonly ShareSummary[],
  options: { readonly pairs: readonly ReplicationPair[]; readonly at?: EpochMillis; readonly fallbackAt: EpochMillis },
): ShareTerms {
  const unique = new Map<string, ReplicationPair>();
  let latest: EpochMillis | undefined;
  for (const summary of summaries) {
    for (const pair of summary.inferred) unique.set(`${pair.source}>${pair.destination}`, pair);
    if (summary.latest !== undefined && (latest === undefined || summary.latest > latest)) latest = summary.latest;
  }
  return { pairs: options.pairs.length > 0 ? options.pairs : [...unique.values()], at: options.at ?? latest ?? options.fallbackAt };
}

/** A share's versions evaluated on the agreed terms. */
export function shareReport(
  records: Iterable<VersionRecord>,
  terms: ShareTerms,
  overdueMillis: number,
  objectiveSeconds: number,
): ReportPart {
  const builder = new ReportBuilder({ at: terms.at, objectiveSeconds });
  addRecords(builder, records, indexPairs(terms.pairs), { at: terms.at, overdueMillis });
  return builder.part();
}

export function mergeReports(
  parts: readonly ReportPart[],
  terms: { readonly at: EpochMillis; readonly objectiveSeconds: number },
  counts: { rejected: number; ignored: number },
): { report: ReplicationReport; detail: ReportDetail } {
  const builder = new ReportBuilder(terms);
  for (const part of parts) builder.merge(part);
  return builder.build(counts);
}
