import { ANY_DESTINATION, parseSlotName } from './record';
import type { EpochMillis, PairState, ReplicationPair, SlotValue, VersionRecord } from './types';

/** Destinations by source bucket, built once from the configured (or inferred) pairs. */
export type PairIndex = ReadonlyMap<string, readonly string[]>;

export function indexPairs(pairs: Iterable<ReplicationPair>): PairIndex {
  const index = new Map<string, string[]>();
  for (const { source, destination } of pairs) {
    const list = index.get(source) ?? [];
    if (!list.includes(destination)) list.push(destination);
    index.set(source, list);
  }
  for (const list of index.values()) list.sort();
  return index;
}

export interface EvaluationOptions {
  /** The evaluation time: a pending version older than the threshold at this time is OVERDUE. */
  readonly at: EpochMillis;
  readonly overdueMillis: number;
}

interface Candidate {
  readonly bucket: string;
  readonly at: EpochMillis;
  readonly byReplication: number;
}

/** Buckets that evidently hold the version, each with the time it first appeared there. */
function candidates(record: VersionRecord): Candidate[] {
  const found: Candidate[] = [];
  // Hot path over every record: plain prefix tests instead of parseSlotName's allocations.
  for (const name in record.slots) {
    const value = record.slots[name];
    if (name.startsWith('w:')) offer(found, name.slice(2), value.at, value.byReplication ?? 0);
    // A failure notice proves the source version exists even when its write event never arrived.
    else if (name.startsWith('f:')) offer(found, name.slice(2, name.indexOf('>')), value.requestedAt ?? value.at, 0);
  }
  return found;
}

function offer(found: Candidate[], bucket: string, at: EpochMillis, byReplication: number): void {
  for (let i = 0; i < found.length; i++) {
    if (found[i].bucket !== bucket) continue;
    if (at < found[i].at) found[i] = { bucket, at, byReplication };
    return;
  }
  found.push({ bucket, at, byReplication });
}

/**
 * The origin of a version is the bucket it was written to first: replicas are never earlier than
 * their source. This one rule handles one-way, bi-directional and chained pairs alike, without
 * trusting the writer's identity. Ties (CloudTrail times have one-second resolution) go to the bucket
 * configured to replicate to another holder of the version, then to the writer that does not look
 * like replication, then by name so the answer never depends on arrival order.
 */
export function originOf(record: VersionRecord, pairs: PairIndex): Candidate | undefined {
  const all = candidates(record);
  let origin = all[0];
  for (let i = 1; i < all.length; i++) if (precedes(all[i], origin, all, pairs)) origin = all[i];
  return origin;
}

/** Whether `a` is a better origin than `b` among `all` holders (module-level: this runs for every record). */
function precedes(a: Candidate, b: Candidate, all: readonly Candidate[], pairs: PairIndex): boolean {
  if (a.at !== b.at) return a.at < b.at;
  const feeds = feedsAHolder(a, all, pairs) - feedsAHolder(b, all, pairs);
  if (feeds !== 0) return feeds < 0;
  if (a.byReplication !== b.byReplication) return a.byReplication < b.byReplication;
  return a.bucket < b.bucket;
}

function feedsAHolder(c: Candidate, all: readonly Candidate[], pairs: PairIndex): number {
  for (const destination of pairs.get(c.bucket) ?? []) if (all.some((h) => h.bucket === destination)) return 0;
  return 1;
}

/**
 * The state of every pair (origin → configured destination) of one version record. A record whose
 * origin is not a configured source (e.g. only a replica has been seen so far) yields nothing yet, and
 * neither does one that HeadObject showed no replication rule applies to.
 */
export function evaluateRecord(record: VersionRecord, pairs: PairIndex, options: EvaluationOptions): PairState[] {
  const origin = originOf(record, pairs);
  if (!origin) return [];
  const destinations = pairs.get(origin.bucket);
  if (!destinations) return [];
  const slots = record.slots;
  const sourceWrite = slots[`w:${origin.bucket}`];
  const anyFailure = slots[`f:${origin.bucket}>${ANY_DESTINATION}`];
  const check = slots[`c:${origin.bucket}`];
  // HeadObject found no replication status: no rule replicates this version, so it is not tracked.
  if (check?.what === 'NONE') return [];
  const states: PairState[] = [];
  for (const destination of destinations) {
    const replica = slots[`w:${destination}`];
    const failure = slots[`f:${origin.bucket}>${destination}`] ?? anyFailure;
    // One object literal of one shape per state: spreads here dominated the cost of a whole report.
    let state: PairState['state'];
    let latencySeconds: number | null = null;
    let failureReason: string | undefined;
    let pendingSeconds: number | undefined;
    // HeadObject of the version in the destination (the sweep): the only proof per destination (issue 8.3).
    const held = slots[`c:${destination}`]?.what;
    if (replica) {
      // A replica settles it, even after a failure notice (S3 retried and succeeded).
      state = 'COMPLETED';
      latencySeconds = Math.max(0, replica.at - origin.at) / 1000;
    } else if (held === 'REPLICA') {
      // Proved by HeadObject in D (its event may never come): completed, without a latency.
      state = 'COMPLETED';
    } else if (failure) {
      state = 'FAILED';
      failureReason = failure.what;
    } else if (check?.what === 'FAILED' && (destinations.length === 1 || held === 'NOT_FOUND')) {
      // The source's status is one aggregate over all destinations: with several, it fails only the ones shown lacking it.
      state = 'FAILED';
      failureReason = 'ReplicationStatusFailed';
    } else if (check?.what === 'COMPLETED' || check?.what === 'COMPLETE') {
      state = 'COMPLETED';
    } else {
      const pendingMillis = Math.max(0, options.at - origin.at);
      state = pendingMillis > options.overdueMillis ? 'OVERDUE' : 'PENDING';
      pendingSeconds = pendingMillis / 1000;
    }
    states.push({
      source: origin.bucket,
      destination,
      key: record.key,
      versionId: record.versionId,
      state,
      sourceAt: origin.at,
      latencySeconds,
      bytes: sizeOf(sourceWrite, replica, failure),
      failureReason,
      pendingSeconds,
    });
  }
  return states;
}

/** Bytes the events give for the version: the source write's, else the replica's, else a notice's; 0 if none. */
function sizeOf(source: SlotValue | undefined, replica: SlotValue | undefined, notice: SlotValue | undefined): number {
  return source?.bytes ?? replica?.bytes ?? notice?.bytes ?? 0;
}

/**
 * Pairs implied by the records themselves, for when none are configured: the origin of each version
 * replicates to every other bucket that holds the same (key, versionId).
 */
export function inferPairs(records: Iterable<VersionRecord>): ReplicationPair[] {
  const seen = new Map<string, ReplicationPair>();
  const none: PairIndex = new Map();
  for (const record of records) {
    const origin = originOf(record, none);
    if (!origin) continue;
    for (const name of Object.keys(record.slots)) {
      const slot = parseSlotName(name);
      // Another holder of the version is a destination; so is the destination a failure notice names.
      const destination =
        slot?.kind === 'write' ? slot.bucket : slot?.kind === 'failure' && slot.bucket === origin.bucket ? slot.destination : undefined;
      if (!destination || destination === origin.bucket || destination === ANY_DESTINATION) continue;
      const id = `${origin.bucket}>${destination}`;
      if (!seen.has(id)) seen.set(id, { source: origin.bucket, destination });
    }
  }
  return [...seen.values()].sort((a, b) => (a.source + '>' + a.destination < b.source + '>' + b.destination ? -1 : 1));
}
