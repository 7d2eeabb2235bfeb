import type { PairState } from './types';

export interface LatencySummary {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface PairSummary {
  readonly source: string;
  readonly destination: string;
  readonly completed: number;
  /** Of `completed`, versions whose source write was never seen (replica only): no latency. */
  readonly completedWithoutSource: number;
  /** FAILED object versions only (data failures, and metadata failures without a proven replica). */
  readonly failed: number;
  readonly failedByReason: Readonly<Record<string, number>>;
  /** Of `completed`: versions with a metadata failure notice (ACL, tags, Object Lock): the replica is there, its metadata is not. */
  readonly metadataFailed: number;
  /** Delete markers S3 could not replicate (DstDelObjNotPermitted): not object versions, in no other count. */
  readonly deleteMarkersFailed: number;
  /** Source versions deleted before they replicated (Src*NotFound): in no other count. */
  readonly sourceDeleted: number;
  readonly pending: number;
  readonly overdue: number;
  /** Sum over completed versions of the size the events give. */
  readonly bytes: number;
  readonly latencySeconds: LatencySummary;
  /** Completed versions with a latency per bucket of `LATENCY_BUCKET_SECONDS` (the last bucket: above them all). */
  readonly latencyHistogram: readonly number[];
}

/**
 * Upper bounds (inclusive, seconds) of the latency histogram's buckets, fixed so that histograms of different runs
 * and pairs compare: seconds to hours, with 15 minutes (RTC's promise) an edge. One more bucket holds the rest.
 */
export const LATENCY_BUCKET_SECONDS: readonly number[] = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];

export function latencyHistogram(latencies: Iterable<number>): number[] {
  const counts = new Array<number>(LATENCY_BUCKET_SECONDS.length + 1).fill(0);
  for (const latency of latencies) {
    let i = 0;
    while (i < LATENCY_BUCKET_SECONDS.length && latency > LATENCY_BUCKET_SECONDS[i]) i++;
    counts[i]++;
  }
  return counts;
}

/** Nearest-rank percentile: the value at rank ceil(q·n) of the ascending list (1-based). */
export function nearestRank(ascending: readonly number[], q: number): number | null {
  if (ascending.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * ascending.length));
  return ascending[Math.min(rank, ascending.length) - 1];
}

export function summarizeLatencies(latencies: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const list = Array.from(sorted);
  return {
    p50: nearestRank(list, 0.5),
    p90: nearestRank(list, 0.9),
    p99: nearestRank(list, 0.99),
    max: list.length ? list[list.length - 1] : null,
  };
}

interface Accumulator {
  source: string;
  destination: string;
  completed: number;
  completedWithoutSource: number;
  failed: number;
  failedByReason: Record<string, number>;
  metadataFailed: number;
  deleteMarkersFailed: number;
  sourceDeleted: number;
  pending: number;
  overdue: number;
  bytes: number;
  latencies: number[];
}

/** What a `PairStatistics` has folded so far, as plain data (it crosses worker threads), for `merge`. */
export type StatisticsPart = readonly Accumulator[];

/**
 * Folds pair states into per-pair statistics; feed it states one at a time, then read `summaries()`. States
 * folded into several instances and merged give the same summaries as folding them all into one (in any order).
 */
export class PairStatistics {
  private readonly byPair = new Map<string, Accumulator>();

  part(): StatisticsPart {
    return [...this.byPair.values()];
  }

  merge(part: StatisticsPart): void {
    for (const other of part) {
      const id = `${other.source}>${other.destination}`;
      const acc = this.byPair.get(id);
      if (!acc) {
        this.byPair.set(id, { ...other, failedByReason: { ...other.failedByReason }, latencies: [...other.latencies] });
        continue;
      }
      acc.completed += other.completed;
      acc.completedWithoutSource += other.completedWithoutSource;
      acc.failed += other.failed;
      acc.metadataFailed += other.metadataFailed;
      acc.deleteMarkersFailed += other.deleteMarkersFailed;
      acc.sourceDeleted += other.sourceDeleted;
      for (const [reason, n] of Object.entries(other.failedByReason)) acc.failedByReason[reason] = (acc.failedByReason[reason] ?? 0) + n;
      acc.pending += other.pending;
      acc.overdue += other.overdue;
      acc.bytes += other.bytes;
      for (const latency of other.latencies) acc.latencies.push(latency);
    }
  }

  add(state: PairState): void {
    const id = `${state.source}>${state.destination}`;
    let acc = this.byPair.get(id);
    if (!acc) {
      acc = {
        source: state.source,
        destination: state.destination,
        completed: 0,
        completedWithoutSource: 0,
        failed: 0,
        failedByReason: {},
        metadataFailed: 0,
        deleteMarkersFailed: 0,
        sourceDeleted: 0,
        pending: 0,
        overdue: 0,
        bytes: 0,
        latencies: [],
      };
      this.byPair.set(id, acc);
    }
    switch (state.state) {
      case 'COMPLETED':
        acc.completed++;
        if (state.withoutSource) acc.completedWithoutSource++;
        acc.bytes += state.bytes;
        if (state.latencySeconds !== null) acc.latencies.push(state.latencySeconds);
        if (state.failureClass === 'metadata') acc.metadataFailed++;
        break;
      case 'FAILED': {
        acc.failed++;
        const reason = state.failureReason ?? 'Unknown';
        acc.failedByReason[reason] = (acc.failedByReason[reason] ?? 0) + 1;
        break;
      }
      case 'PENDING':
        acc.pending++;
        break;
      case 'OVERDUE':
        acc.overdue++;
        break;
      case 'DELETE_MARKER_FAILED':
        acc.deleteMarkersFailed++;
        break;
      case 'SOURCE_DELETED':
        acc.sourceDeleted++;
        break;
    }
  }

  summaries(): PairSummary[] {
    return [...this.byPair.values()].sort(bySourceThenDestination).map(({ latencies, ...acc }) => ({
      ...acc,
      latencySeconds: summarizeLatencies(latencies),
      latencyHistogram: latencyHistogram(latencies),
    }));
  }
}

export function bySourceThenDestination(a: { source: string; destination: string }, b: { source: string; destination: string }): number {
  return compareText(a.source, b.source) || compareText(a.destination, b.destination);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
