/**
 * The sweep, run every minute. Its work per run is proportional to the versions whose overdue time falls in this
 * run's window plus the versions already needing attention — never to the pending backlog:
 * 1. Window (cursor, now]: per shard, Query the KEYS_ONLY `due` index for dueAt in the window, BatchGet the records.
 * 2. The `attention` set (overdue and failed versions the sweep marked before): Query every shard, BatchGet.
 * Each record is evaluated by the core at `now`:
 * - every pair final: nothing to publish (the deciding write did); failed ones are marked FAILED in `attention`,
 *   completed ones leave it;
 * - OVERDUE: HeadObject on the source version and on the version in each destination that has no outcome yet
 *   (issue 8.3), at most every `recheckMillis` per bucket; each answer is a `c:<bucket>` check write that returns
 *   the item as it was, so the outcomes of exactly that write are published (lambda/core/outcomes.ts), with the
 *   version's attention entry set in the same UpdateItem. A source with no replication status is `untracked`.
 * `OverdueReplications` (current count per configured pair, zeros included) is published at the end of a full run.
 * The cursor moves only after the window is done: the window is worked in slices and a run that runs short of time
 * (or dies) advances it only to the end of the last finished slice. Re-doing a slice is harmless — check writes are
 * conditional, their outcomes come from the item the write changed, attention marks are idempotent — so a stopped run
 * loses nothing and doubles nothing.
 */
import {
  applyChange,
  candidateSources,
  changeFor,
  checkSlot,
  evaluateRecord,
  indexPairs,
  originOf,
  type CheckOutcome,
  type PairState,
  type ReplicationPair,
  type VersionRecord,
} from '../core';
import { needsRedrive } from '../core/failures';
import { outcomesOf, type Outcome } from '../core/outcomes';
import type { StoredRecord } from '../adapters/dynamodb';
import type { ObjectInspector } from '../adapters/s3';
import type { VersionKey } from '../adapters/table-reader';
import type { Attention, SweepWrites } from '../adapters/sweep-writes';
import { mapLimit } from '../shared/concurrency';
import { errorFields, type Logger } from '../shared/log';
import { SHARDS } from '../shared/contract';

/** What the sweep reads (lambda/adapters/table-reader.ts). */
interface SweepReader {
  due(shard: string, afterExclusive: number, throughInclusive: number): AsyncIterable<VersionKey & { dueAt: number }>;
  attention(shard: string): AsyncIterable<VersionKey>;
  get(keys: readonly VersionKey[]): Promise<StoredRecord[]>;
  cursor(): Promise<number>;
}

/** Where outcomes and the overdue gauge go: EMF in the cloud (emf-sink.ts), a recorder in tests and the harness. */
export interface SweepMetrics {
  /** Outcomes of one write, published at once. */
  outcomes(outcomes: readonly Outcome[]): void;
  /** The current overdue count of every configured pair. */
  overdue(counts: readonly { source: string; destination: string; count: number }[]): void;
}

export interface SweepDependencies {
  readonly reader: SweepReader;
  readonly writes: SweepWrites;
  /** HeadObject; without it (offline replay) overdue versions are not re-checked. */
  readonly inspector?: Pick<ObjectInspector, 'head'>;
  readonly metrics: SweepMetrics;
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMillis: number;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Lambda's `context.getRemainingTimeInMillis`; the run stops starting work below `reserveMillis`. */
  readonly remainingMillis?: () => number;
  readonly reserveMillis?: number;
  readonly shards?: number;
  /** A bucket's version is asked about with HeadObject at most this often. Default 5 minutes. */
  readonly recheckMillis?: number;
  /** The window is worked in slices of this length, so a stopped run keeps what it finished. Default 1 minute. */
  readonly sliceMillis?: number;
  readonly concurrency?: number;
}

export interface SweepSummary {
  readonly asOf: string;
  /** The cursor after the run (ISO), and whether the whole window was done. */
  cursor: string;
  complete: boolean;
  /** Records read: from the window, from the attention set. */
  dueRead: number;
  attentionRead: number;
  completed: number;
  failed: number;
  overdue: number;
  untracked: number;
  /** HeadObject calls and what they said. */
  checked: number;
  notFound: number;
  forbidden: number;
  unknownStatus: number;
  checkErrors: number;
  /** Records whose origin is not a configured source (left alone). */
  unattributed: number;
  /** Outcomes published by the sweep's own check writes. */
  published: number;
  writes: number;
}

/** States the sweep has nothing more to ask S3 about (lambda/core/failures.ts for the last two). */
const FINAL = new Set(['COMPLETED', 'FAILED', 'DELETE_MARKER_FAILED', 'SOURCE_DELETED']);

/**
 * Why the sweep asks HeadObject of a bucket: the version's source (its status), a destination of a known pair (a 200
 * proves the replica whatever its status: replica modification sync), or the bucket of a write whose writer the event
 * did not name (S3's EventBridge events), where the status tells a replica (REPLICA) from someone's own write.
 */
type HeadRole = 'source' | 'destination' | 'writer';

const pairId = (s: { source: string; destination: string }) => `${s.source}>${s.destination}`;

class OutOfTime extends Error {}

export function createSweepHandler(deps: SweepDependencies): () => Promise<SweepSummary> {
  const pairIndex = indexPairs(deps.pairs);
  const { reader, writes, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const shards = Array.from({ length: deps.shards ?? SHARDS }, (_, i) => String(i));
  const recheck = deps.recheckMillis ?? 5 * 60_000;
  const slice = deps.sliceMillis ?? 60_000;
  const reserve = deps.reserveMillis ?? 15_000;
  const limit = deps.concurrency ?? 16;

  return async () => {
    const at = now();
    const from = await reader.cursor();
    const summary: SweepSummary = {
      asOf: new Date(at).toISOString(),
      cursor: new Date(from).toISOString(),
      complete: false,
      dueRead: 0,
      attentionRead: 0,
      completed: 0,
      failed: 0,
      overdue: 0,
      untracked: 0,
      checked: 0,
      notFound: 0,
      forbidden: 0,
      unknownStatus: 0,
      checkErrors: 0,
      unattributed: 0,
      published: 0,
      writes: 0,
    };
    const overdue = new Map<string, number>();
    for (const p of deps.pairs) overdue.set(pairId(p), 0);
    const visited = new Set<string>();
    const timeLeft = () => {
      if (deps.remainingMillis && deps.remainingMillis() < reserve) throw new OutOfTime();
    };

    const publish = (outcomes: readonly Outcome[]) => {
      if (outcomes.length === 0) return;
      metrics.outcomes(outcomes);
      summary.published += outcomes.length;
      for (const o of outcomes) if (o.kind === 'completed' || o.kind === 'failed' || o.kind === 'untracked') summary[o.kind]++;
    };

    /** HeadObject of the version in `bucket` → the check status to record, or undefined when S3 did not answer. */
    const ask = async (record: VersionRecord, bucket: string, role: HeadRole): Promise<CheckOutcome | undefined> => {
      const where = { bucket, role, key: record.key, versionId: record.versionId };
      summary.checked++;
      let result;
      try {
        result = await deps.inspector!.head(bucket, record.key, record.versionId);
      } catch (error) {
        summary.checkErrors++;
        logger.error('HeadObject failed; the version stays overdue', { ...where, ...errorFields(error) });
        return undefined;
      }
      if (result.outcome === 'forbidden') {
        summary.forbidden++;
        logger.error('HeadObject denied (403): check the sweep role / agent role s3:GetObject*; the version stays overdue', where);
        return 'FORBIDDEN';
      }
      if (result.outcome === 'not-found') {
        summary.notFound++;
        logger.error('HeadObject found no such version (404)', where);
        return 'NOT_FOUND';
      }
      // A 200 for the version in a destination proves the replica whatever its status says: with replica modification
      // sync a replica reports PENDING/COMPLETED/FAILED for its own metadata, and recorded as such it would look like
      // a source (a candidate origin). Recorded as REPLICA, it is what it is.
      if (role === 'destination') return 'REPLICA';
      // A write whose event did not name its writer: its status says what it is (REPLICA, a source's, or none).
      if (result.unknownStatus !== undefined) {
        summary.unknownStatus++;
        logger.warn('unknown x-amz-replication-status; the version stays pending', { ...where, status: result.unknownStatus });
        return 'UNKNOWN';
      }
      if (!result.status) {
        if (role === 'source')
          logger.warn('source version has no replication status: no replication rule applies to it (untracked)', where);
        else logger.info('a write of unknown writer has no replication status: not a replica', where);
        return 'NONE';
      }
      return result.status;
    };

    const attentionFor = (states: readonly PairState[]): Attention | null => {
      if (states.length === 0) return null;
      const since = states[0].sourceAt;
      if (states.some((s) => !FINAL.has(s.state))) return { state: 'OVERDUE', since };
      return states.some(needsRedrive) ? { state: 'FAILED', since } : null;
    };

    const evaluate = (record: VersionRecord) => evaluateRecord(record, pairIndex, { at, overdueMillis: deps.overdueMillis });

    const visit = async (stored: StoredRecord) => {
      const id = `${stored.record.key}\u0000${stored.record.versionId}`;
      if (visited.has(id)) return;
      visited.add(id);
      let record = stored.record;
      let states = evaluate(record);
      const wrote = { attention: false };
      // A replica whose source write was never seen, in a destination fed by several configured sources: the source is
      // the candidate that holds the version (HeadObject); its check slot then makes it the origin.
      const unattributed = states.length === 0 && !originOf(record, pairIndex);
      const replicas = unattributed ? candidateSources(record, pairIndex) : [];
      const candidates = [...new Set(replicas.flatMap((r) => r.sources))];
      if (unattributed && (!deps.inspector || candidates.length === 0)) summary.unattributed++;
      if (deps.inspector && (candidates.length > 0 || states.some((s) => s.state === 'OVERDUE'))) {
        const buckets: { bucket: string; role: HeadRole }[] = candidates.map((bucket) => ({ bucket, role: 'source' }));
        // A write whose event did not name its writer (S3's EventBridge events): HeadObject there says whether it is a
        // replica (REPLICA) or someone's own write (a source status, or none).
        for (const r of replicas)
          if (r.writerUnknown && !candidates.includes(r.destination)) buckets.push({ bucket: r.destination, role: 'writer' });
        if (states.length > 0) buckets.push({ bucket: states[0].source, role: 'source' });
        for (const s of states) if (!FINAL.has(s.state)) buckets.push({ bucket: s.destination, role: 'destination' });
        const due = buckets.filter(({ bucket }) => !(record.slots[checkSlot(bucket)]?.at > at - recheck));
        const answers = await Promise.all(due.map(async ({ bucket, role }) => ({ bucket, status: await ask(record, bucket, role) })));
        const changes = answers.flatMap(({ bucket, status }) =>
          status ? [changeFor({ type: 'check', bucket, key: record.key, versionId: record.versionId, at, status })!] : [],
        );
        // The attention entry the version will need once every answer is in, written with each check.
        let predicted = record;
        for (const change of changes) predicted = applyChange(predicted, change);
        const attention = attentionFor(evaluate(predicted));
        for (const change of changes) {
          const result = await writes.check(change, `sweep:${at}:${change.slot}`, attention);
          summary.writes++;
          wrote.attention = true;
          if (!result.applied) continue;
          const before = result.before ?? record;
          publish(outcomesOf(before, applyChange(before, change), pairIndex));
        }
        record = predicted;
        states = evaluate(record);
        // Still unattributed unless an answer gave it an origin (one without a pair: someone's own write, no rule).
        if (unattributed && states.length === 0 && !originOf(record, pairIndex)) summary.unattributed++;
      }
      const attention = attentionFor(states);
      const same =
        attention === null
          ? stored.attention === undefined
          : stored.attention?.state === attention.state && stored.attention.since === attention.since;
      if (!wrote.attention && !same) {
        await writes.mark(record.key, record.versionId, attention);
        summary.writes++;
      }
      for (const s of states) {
        if (s.state !== 'OVERDUE') continue;
        summary.overdue++;
        overdue.set(pairId(s), (overdue.get(pairId(s)) ?? 0) + 1);
      }
    };

    const readAndVisit = async (keys: VersionKey[], count: 'dueRead' | 'attentionRead') => {
      const fresh = keys.filter((k) => !visited.has(`${k.key}\u0000${k.versionId}`));
      if (fresh.length === 0) return;
      const records = await reader.get(fresh);
      summary[count] += records.length;
      await mapLimit(records, limit, async (stored) => {
        timeLeft();
        await visit(stored);
      });
    };

    let through = from;
    try {
      // 1. The window, slice by slice: the cursor may stop at the end of any finished slice.
      // A long gap (an outage) is worked in at most 10 slices, not one per minute; the very first run (no cursor yet)
      // in one: 16 Queries rather than 160 for a window whose start is only "before the table existed".
      const step = from === 0 ? at : Math.max(slice, Math.ceil((at - from) / 10));
      for (let end = Math.min(at, from + step); through < at; end = Math.min(at, end + step)) {
        timeLeft();
        const start = through;
        await mapLimit(shards, 4, async (shard) => {
          const keys: VersionKey[] = [];
          for await (const entry of reader.due(shard, start, end)) keys.push(entry);
          await readAndVisit(keys, 'dueRead');
        });
        through = end;
      }
      // 2. The versions already needing attention.
      await mapLimit(shards, 4, async (shard) => {
        const keys: VersionKey[] = [];
        for await (const entry of reader.attention(shard)) keys.push(entry);
        await readAndVisit(keys, 'attentionRead');
      });
      summary.complete = true;
    } catch (error) {
      if (!(error instanceof OutOfTime)) throw error;
      logger.warn('sweep ran short of time; the cursor keeps what was finished and the next run goes on from there', {
        through: new Date(through).toISOString(),
      });
    }
    if (through > from) {
      if (await writes.advanceCursor(from, through)) summary.cursor = new Date(through).toISOString();
      else logger.warn('sweep cursor moved by another run; left as it is', { from, through });
      summary.writes++;
    }
    // A partial run saw only part of the overdue set: publishing its count would understate it.
    if (summary.complete) {
      metrics.overdue(
        [...overdue]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([id, count]) => {
            const [source, destination] = id.split('>');
            return { source, destination, count };
          }),
      );
    }
    logger.info('sweep done', { ...summary });
    return summary;
  };
}
