import {
  applyChange,
  changeFor,
  evaluateRecord,
  indexPairs,
  originOf,
  type CheckOutcome,
  type PairState,
  type ReplicationPair,
  type VersionRecord,
} from '../core';
import { DIMENSION_DEST_BUCKET, DIMENSION_SOURCE_BUCKET, METRIC, METRICS_NAMESPACE, METRIC_UNIT, type MetricName } from '../core/metric-names';
import type { RecordStore, StoredRecord } from '../adapters/dynamodb';
import { MAX_VALUES_PER_DATUM, type MetricDatum, type MetricsSink } from '../adapters/metrics';
import type { ObjectInspector } from '../adapters/s3';
import { mapLimit } from '../shared/concurrency';
import { errorFields, type Logger } from '../shared/log';
import { PENDING_INDEX } from '../shared/table-schema';

export interface SweepDependencies {
  readonly store: RecordStore;
  /** HeadObject for overdue versions; without it (offline replay) overdue versions are not re-checked. */
  readonly inspector?: Pick<ObjectInspector, 'head'>;
  readonly metrics: MetricsSink;
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMillis: number;
  readonly logger: Logger;
  readonly namespace?: string;
  readonly now?: () => number;
  readonly shards?: number;
  /** An overdue version is re-checked with HeadObject at most this often. Default 5 minutes. */
  readonly recheckMillis?: number;
  readonly concurrency?: number;
}

export interface SweepSummary {
  /** Evaluation time (ISO). */
  readonly asOf: string;
  /** The closed minute the metrics are stamped with (ISO). */
  readonly minute: string;
  scanned: number;
  /** Records taken out of the pending index (every pair final). */
  settled: number;
  completed: number;
  failed: number;
  pending: number;
  overdue: number;
  /** HeadObject calls and what they said. */
  checked: number;
  notFound: number;
  forbidden: number;
  checkErrors: number;
  /** Records whose origin is not a configured source (left alone). */
  unattributed: number;
  metricData: number;
}

interface PairTotals {
  completed: number;
  failed: number;
  overdue: number;
  bytes: number;
  latencies: Map<number, number>;
  speeds: Map<number, number>;
}

const FINAL = new Set(['COMPLETED', 'FAILED']);
export const signatureOf = (states: readonly PairState[]): string => states.map((s) => `${s.destination}=${s.state}`).join(',');

/**
 * The sweep, run every minute. It reads only the sparse `pending` index (never the whole table):
 * - every pending version is evaluated by the core at `now`;
 * - an OVERDUE one is re-checked with HeadObject on its source version (through the agent role for remote
 *   accounts); the status goes into the record's `c:` slot with the same conditional write as any event.
 *   403 and 404 are counted and logged, and the record stays pending/overdue: nothing is deleted;
 * - a version whose pairs are all final is counted (completed, failed, bytes, latency, speed) and taken out
 *   of the index, remembering what was reported so that a re-found record is never counted twice;
 * - per pair, the minute's figures are published with PutMetricData (batched at 1,000 metrics per call),
 *   stamped with the minute that just closed, with units; OverdueReplications is the current count. Pairs with
 *   nothing to report still get zeros, so alarms see data rather than "missing".
 * Metrics are published before records are settled: a crash in between repeats a count, never loses one.
 */
export function createSweepHandler(deps: SweepDependencies): () => Promise<SweepSummary> {
  const pairIndex = indexPairs(deps.pairs);
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const shards = deps.shards ?? PENDING_INDEX.shards;
  const recheck = deps.recheckMillis ?? 5 * 60_000;
  const limit = deps.concurrency ?? 16;
  const namespace = deps.namespace ?? METRICS_NAMESPACE;

  return async () => {
    const at = now();
    const minute = Math.floor(at / 60_000) * 60_000 - 60_000;
    const summary: SweepSummary = {
      asOf: new Date(at).toISOString(),
      minute: new Date(minute).toISOString(),
      scanned: 0, settled: 0, completed: 0, failed: 0, pending: 0, overdue: 0,
      checked: 0, notFound: 0, forbidden: 0, checkErrors: 0, unattributed: 0, metricData: 0,
    };
    const totals = new Map<string, PairTotals>();
    for (const p of deps.pairs) totals.set(`${p.source}>${p.destination}`, emptyTotals());
    const toSettle: { record: VersionRecord; signature: string }[] = [];

    const recheckRecord = async (record: VersionRecord, source: string): Promise<VersionRecord> => {
      const check = record.slots[`c:${source}`];
      if (!deps.inspector || (check && check.at > at - recheck)) return record;
      summary.checked++;
      const where = { bucket: source, key: record.key, versionId: record.versionId };
      let result;
      try {
        result = await deps.inspector.head(source, record.key, record.versionId);
      } catch (error) {
        summary.checkErrors++;
        logger.error('HeadObject failed; the version stays overdue', { ...where, ...errorFields(error) });
        return record;
      }
      let status: CheckOutcome;
      if (result.outcome !== 'found') {
        summary[result.outcome === 'forbidden' ? 'forbidden' : 'notFound']++;
        logger.error(
          result.outcome === 'forbidden'
            ? 'HeadObject denied (403): check the sweep role / agent role s3:GetObject*; the version stays overdue'
            : 'HeadObject found no such version (404): deleted or never written; the version stays overdue until it expires',
          where,
        );
        status = result.outcome === 'forbidden' ? 'FORBIDDEN' : 'NOT_FOUND';
      } else if (!result.status) {
        logger.warn('source version has no replication status: no replication rule applies to it; no longer tracked', where);
        status = 'NONE';
      } else {
        status = result.status;
      }
      // Recorded whatever the answer, so that the next check waits `recheck` (a 403 storm costs one
      // write per version per interval, not a HeadObject per version every minute).
      const change = changeFor({ type: 'check', ...where, at, status })!;
      await store.apply(change);
      return applyChange(record, change);
    };

    const visit = async (stored: StoredRecord) => {
      summary.scanned++;
      let record = stored.record;
      let states = evaluateRecord(record, pairIndex, { at, overdueMillis: deps.overdueMillis });
      if (states.length === 0) {
        // A version HeadObject showed no rule replicates (its settle failed last time): just take it out.
        const origin = originOf(record, pairIndex);
        if (origin && record.slots[`c:${origin.bucket}`]?.what === 'NONE') toSettle.push({ record, signature: '' });
        else summary.unattributed++;
        return;
      }
      if (states.some((s) => s.state === 'OVERDUE')) {
        record = await recheckRecord(record, originOf(record, pairIndex)!.bucket);
        if (record !== stored.record) states = evaluateRecord(record, pairIndex, { at, overdueMillis: deps.overdueMillis });
      }
      if (states.every((s) => FINAL.has(s.state))) {
        const signature = signatureOf(states);
        if (stored.reported !== signature) for (const s of states) count(totals, s, summary);
        toSettle.push({ record, signature });
        return;
      }
      for (const s of states) {
        if (s.state === 'OVERDUE') {
          summary.overdue++;
          totalsOf(totals, s).overdue++;
        } else if (s.state === 'PENDING') summary.pending++;
      }
    };

    const shardIds = Array.from({ length: shards }, (_, i) => String(i));
    await mapLimit(shardIds, 4, async (shard) => {
      const batch: StoredRecord[] = [];
      for await (const stored of store.pending(shard)) batch.push(stored);
      await mapLimit(batch, limit, visit);
    });

    const data = metricData(totals, minute);
    summary.metricData = data.length;
    await deps.metrics.put(namespace, data);
    await mapLimit(toSettle, limit, async ({ record, signature }) => {
      if (await store.settle(record.key, record.versionId, signature)) summary.settled++;
    });
    logger.info('sweep done', { ...summary });
    return summary;
  };
}

function emptyTotals(): PairTotals {
  return { completed: 0, failed: 0, overdue: 0, bytes: 0, latencies: new Map(), speeds: new Map() };
}

function totalsOf(totals: Map<string, PairTotals>, s: PairState): PairTotals {
  const id = `${s.source}>${s.destination}`;
  let t = totals.get(id);
  if (!t) totals.set(id, (t = emptyTotals()));
  return t;
}

function count(totals: Map<string, PairTotals>, s: PairState, summary: SweepSummary): void {
  const t = totalsOf(totals, s);
  if (s.state === 'FAILED') {
    t.failed++;
    summary.failed++;
    return;
  }
  t.completed++;
  summary.completed++;
  t.bytes += s.bytes;
  if (s.latencySeconds !== null) {
    t.latencies.set(s.latencySeconds, (t.latencies.get(s.latencySeconds) ?? 0) + 1);
    if (s.latencySeconds > 0 && s.bytes > 0) {
      const speed = Math.round(s.bytes / s.latencySeconds);
      t.speeds.set(speed, (t.speeds.get(speed) ?? 0) + 1);
    }
  }
}

/** One datum per metric per pair; value distributions as Values/Counts, at most 150 distinct values per datum. */
export function metricData(totals: Map<string, PairTotals>, minute: number): MetricDatum[] {
  const data: MetricDatum[] = [];
  const Timestamp = new Date(minute);
  for (const [id, t] of [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [source, destination] = id.split('>');
    const Dimensions = [
      { Name: DIMENSION_SOURCE_BUCKET, Value: source },
      { Name: DIMENSION_DEST_BUCKET, Value: destination },
    ];
    const single = (name: MetricName, Value: number) => data.push({ MetricName: name, Dimensions, Timestamp, Unit: METRIC_UNIT[name], Value });
    const distribution = (name: MetricName, values: Map<number, number>) => {
      const entries = [...values].sort((a, b) => a[0] - b[0]);
      for (let i = 0; i < entries.length; i += MAX_VALUES_PER_DATUM) {
        const chunk = entries.slice(i, i + MAX_VALUES_PER_DATUM);
        data.push({ MetricName: name, Dimensions, Timestamp, Unit: METRIC_UNIT[name], Values: chunk.map((e) => e[0]), Counts: chunk.map((e) => e[1]) });
      }
    };
    single(METRIC.ReplicationObjects, t.completed);
    single(METRIC.ReplicationBytes, t.bytes);
    single(METRIC.FailedReplications, t.failed);
    single(METRIC.OverdueReplications, t.overdue);
    distribution(METRIC.ReplicationLatency, t.latencies);
    distribution(METRIC.ReplicationSpeed, t.speeds);
  }
  return data;
}
