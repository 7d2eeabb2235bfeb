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
  const found = new Map<string, Candidate>();
  const offer = (bucket: string, at: EpochMillis, byReplication: number) => {
    const seen = found.get(bucket);
    if (!seen || at < seen.at) found.set(bucket, { bucket, at, byReplication });
  };
  for (const [name, value] of Object.entries(record.slots)) {
    const slot = parseSlotName(name);
    if (slot?.kind === 'write') offer(slot.bucket, value.at, value.byReplication ?? 0);
    // A failure notice proves the source version exists even when its write event never arrived.
    else if (slot?.kind === 'failure') offer(slot.bucket, value.requestedAt ?? value.at, 0);
  }
  return [...found.values()];
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
  if (all.length === 0) return undefined;
  const holders = new Set(all.map((c) => c.bucket));
  const feedsAHolder = (c: Candidate) => ((pairs.get(c.bucket) ?? []).some((d) => holders.has(d)) ? 0 : 1);
  all.sort(
    (a, b) =>
      a.at - b.at ||
      feedsAHolder(a) - feedsAHolder(b) ||
      a.byReplication - b.byReplication ||
      (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0),
  );
  return all[0];
}

/**
 * The state of every pair (origin → configured destination) of one version record. A record whose
 * origin is not a configured source (e.g. only a replica has been seen so far) yields nothing yet.
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
  const states: PairState[] = [];
  for (const destination of destinations) {
    const replica = slots[`w:${destination}`];
    const failure = slots[`f:${origin.bucket}>${destination}`] ?? anyFailure;
    const base = {
      source: origin.bucket,
      destination,
      key: record.key,
      versionId: record.versionId,
      sourceAt: origin.at,
      bytes: sizeOf(sourceWrite, replica, failure),
    };
    if (replica) {
      // A replica settles it, even after a failure notice (S3 retried and succeeded).
      states.push({ ...base, state: 'COMPLETED', latencySeconds: Math.max(0, replica.at - origin.at) / 1000 });
    } else if (failure) {
      states.push({ ...base, state: 'FAILED', latencySeconds: null, failureReason: failure.what });
    } else if (check?.what === 'FAILED') {
      states.push({ ...base, state: 'FAILED', latencySeconds: null, failureReason: 'ReplicationStatusFailed' });
    } else if (check?.what === 'COMPLETED') {
      states.push({ ...base, state: 'COMPLETED', latencySeconds: null });
    } else {
      const pendingMillis = Math.max(0, options.at - origin.at);
      const state = pendingMillis > options.overdueMillis ? 'OVERDUE' : 'PENDING';
      states.push({ ...base, state, latencySeconds: null, pendingSeconds: pendingMillis / 1000 });
    }
  }
  return states;
}

/** Bytes the events give for the version: the source write's, else the replica's, else a notice's; 0 if none. */
function sizeOf(...slots: (SlotValue | undefined)[]): number {
  for (const slot of slots) if (slot?.bytes !== undefined) return slot.bytes;
  return 0;
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
