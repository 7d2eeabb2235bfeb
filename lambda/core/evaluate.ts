import { failureClassOf } from './failures';
import { ANY_DESTINATION, checkSlot, failureSlot, metadataFailureSlot, parseSlotName, SLOT_PREFIX, writeSlot } from './record';
import { WRITER_UNKNOWN, type EpochMillis, type PairState, type ReplicationPair, type SlotValue, type VersionRecord } from './types';

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

/** Configured sources by destination bucket, derived once per index (an index is built once per run or handler). */
const sourcesCache = new WeakMap<PairIndex, ReadonlyMap<string, readonly string[]>>();

export function sourcesByDestination(pairs: PairIndex): ReadonlyMap<string, readonly string[]> {
  let bySource = sourcesCache.get(pairs);
  if (!bySource) {
    const index = new Map<string, string[]>();
    for (const [source, destinations] of pairs) {
      for (const destination of destinations) {
        const list = index.get(destination) ?? [];
        list.push(source);
        index.set(destination, list);
      }
    }
    for (const list of index.values()) list.sort();
    bySource = index;
    sourcesCache.set(pairs, bySource);
  }
  return bySource;
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
  /** Only a HeadObject status shows the version there: its time is the checker's, not the write's. */
  readonly fromCheck: boolean;
}

/** HeadObject statuses of a version that exists in the bucket as a source (REPLICA is a replica's). */
const SOURCE_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'COMPLETED', 'FAILED']);

/**
 * HeadObject answers that mean S3 answered 200 for the version: it exists in that bucket. In a destination that is the
 * proof of the replica whatever `x-amz-replication-status` says: with replica modification sync (bi-directional
 * pairs) a replica reports PENDING, COMPLETED or FAILED for its own metadata going back (issue 15).
 */
const PRESENT_STATUSES: ReadonlySet<string> = new Set(['REPLICA', 'PENDING', 'COMPLETED', 'COMPLETE', 'FAILED', 'NONE', 'UNKNOWN']);

/**
 * Buckets that could be the origin of the version, each with the time it first appeared there. A write made
 * by replication into a configured destination is left out: it is a replica, never the origin, even when its
 * source write was never seen (bi-directional pairs included).
 *
 * A write into a configured destination whose writer the event does not name (S3's EventBridge events) is an
 * origin only when something else says so: HeadObject of it there (a source status, or none at all: nobody's
 * replica), or another holder of the version that its bucket is configured to replicate to (a bi-directional pair
 * seen from both sides; then the earliest wins as always). Alone, it could be a replica whose source write was not
 * seen, so it is left to `replicasWithoutSource` (unattributed until HeadObject settles it).
 */
function candidates(record: VersionRecord, pairs: PairIndex, sources: ReadonlyMap<string, readonly string[]>): Candidate[] {
  const found: Candidate[] = [];
  let unknown: string[] | undefined;
  // Hot path over every record: plain prefix tests instead of parseSlotName's allocations.
  for (const name in record.slots) {
    const value = record.slots[name];
    if (name.startsWith(SLOT_PREFIX.write)) {
      const bucket = name.slice(2);
      const writer = value.byReplication ?? 0;
      if (writer !== 0 && sources.has(bucket)) {
        if (writer === WRITER_UNKNOWN) (unknown ??= []).push(bucket);
        continue;
      }
      offer(found, bucket, value.at, writer, false);
    }
    // A failure notice proves the source version exists even when its write event never arrived.
    else if (name.startsWith(SLOT_PREFIX.failure) || name.startsWith(SLOT_PREFIX.metadataFailure))
      offer(found, name.slice(2, name.indexOf('>')), value.requestedAt ?? value.at, 0, false);
    // So does a HeadObject status of a source version (how the monitor attributes a replica-only version), but not in
    // a bucket the version was replicated into: with replica modification sync a replica answers PENDING/COMPLETED/FAILED.
    else if (name.startsWith(SLOT_PREFIX.check) && SOURCE_STATUSES.has(value.what) && !holdsReplica(record, name.slice(2), sources))
      offer(found, name.slice(2), value.at, 0, true);
  }
  if (unknown) {
    for (const bucket of unknown) {
      if (unknownWriteIs(record, pairs, bucket) === 'origin')
        offer(found, bucket, record.slots[writeSlot(bucket)].at, WRITER_UNKNOWN, false);
    }
  }
  return found;
}

/** Whether S3 replication wrote the version into `bucket`, a configured destination: it is a replica there. */
function holdsReplica(record: VersionRecord, bucket: string, sources: ReadonlyMap<string, readonly string[]>): boolean {
  return record.slots[writeSlot(bucket)]?.byReplication === 1 && sources.has(bucket);
}

/**
 * What an unknown writer's write into a configured destination is: `replica` when HeadObject there said REPLICA,
 * `origin` when HeadObject said it is a source there (or has no replication status: no rule made it) or when its
 * bucket replicates to another holder of the version, `unknown` otherwise.
 */
function unknownWriteIs(record: VersionRecord, pairs: PairIndex, bucket: string): 'replica' | 'origin' | 'unknown' {
  const status = record.slots[checkSlot(bucket)]?.what;
  if (status === 'REPLICA') return 'replica';
  if (status !== undefined && (status === 'NONE' || SOURCE_STATUSES.has(status))) return 'origin';
  for (const destination of pairs.get(bucket) ?? []) if (record.slots[writeSlot(destination)]) return 'origin';
  return 'unknown';
}

function offer(found: Candidate[], bucket: string, at: EpochMillis, byReplication: number, fromCheck: boolean): void {
  for (let i = 0; i < found.length; i++) {
    const held = found[i];
    if (held.bucket !== bucket) continue;
    // An event's time beats a checker's clock, whichever is earlier; otherwise the earliest wins.
    const better = held.fromCheck !== fromCheck ? held.fromCheck : at < held.at;
    if (better) found[i] = { bucket, at, byReplication, fromCheck };
    return;
  }
  found.push({ bucket, at, byReplication, fromCheck });
}

/**
 * The origin of a version is the bucket it was written to first: replicas are never earlier than
 * their source. This one rule handles one-way, bi-directional and chained pairs alike, without
 * trusting the writer's identity. Ties (CloudTrail times have one-second resolution) go to the bucket
 * configured to replicate to another holder of the version, then to the writer that does not look
 * like replication, then by name so the answer never depends on arrival order.
 */
export function originOf(record: VersionRecord, pairs: PairIndex): Candidate | undefined {
  return originAmong(candidates(record, pairs, sourcesByDestination(pairs)), pairs);
}

function originAmong(all: readonly Candidate[], pairs: PairIndex): Candidate | undefined {
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

/** A replication write into a configured destination of a version whose origin is unknown, with the possible sources. */
export interface ReplicaWithoutSource {
  readonly destination: string;
  readonly at: EpochMillis;
  /** The configured sources of `destination` (sorted): one means the pair is known; several, HeadObject must tell. */
  readonly sources: readonly string[];
  /**
   * The event did not say replication wrote it (S3's EventBridge events), and HeadObject has not yet said REPLICA:
   * it may be a replica or someone's own write into the destination. Never completes a pair on its own; HeadObject
   * of the version in `destination` (REPLICA) or in a candidate source settles it.
   */
  readonly writerUnknown: boolean;
}
/**
 * For a version seen only as replication writes into configured destinations (no write, failure notice or
 * HeadObject status shows its origin): each such write with the configured sources that could have fed it.
 * Empty when the version has an origin. The cloud monitor resolves a write with several sources by HeadObject
 * of the version on each candidate; the status it records (`c:<source>`) then makes that source the origin.
 */
export function candidateSources(record: VersionRecord, pairs: PairIndex): ReplicaWithoutSource[] {
  const sources = sourcesByDestination(pairs);
  if (originAmong(candidates(record, pairs, sources), pairs)) return [];
  return replicasWithoutSource(record, sources);
}

function replicasWithoutSource(record: VersionRecord, sources: ReadonlyMap<string, readonly string[]>): ReplicaWithoutSource[] {
  const found: ReplicaWithoutSource[] = [];
  for (const name in record.slots) {
    if (!name.startsWith(SLOT_PREFIX.write)) continue;
    const value = record.slots[name];
    const destination = name.slice(2);
    const feeding = sources.get(destination);
    if (!feeding || !value.byReplication) continue;
    // Only an unknown writer HeadObject has not shown to be a replica (had it shown a source, `candidates` made it an origin).
    const writerUnknown = value.byReplication === WRITER_UNKNOWN && record.slots[checkSlot(destination)]?.what !== 'REPLICA';
    found.push({ destination, at: value.at, sources: feeding, writerUnknown });
  }
  return found.sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
}

/** The pair states of one version, and its replication writes that no single configured source explains. */
export interface VersionEvaluation {
  readonly states: PairState[];
  readonly unattributed: readonly ReplicaWithoutSource[];
}

const NONE_UNATTRIBUTED: readonly ReplicaWithoutSource[] = [];

/**
 * The state of every pair (origin → configured destination) of one version record. A record whose
 * origin is not a configured source yields nothing yet, and neither does one that HeadObject showed no
 * replication rule applies to. A record with no origin at all but replication writes into configured
 * destinations (the source write was never seen) completes each such pair whose destination has exactly one
 * configured source, without latency (`withoutSource`).
 */
export function evaluateRecord(record: VersionRecord, pairs: PairIndex, options: EvaluationOptions): PairState[] {
  return evaluateVersion(record, pairs, options).states;
}

export function evaluateVersion(record: VersionRecord, pairs: PairIndex, options: EvaluationOptions): VersionEvaluation {
  const sources = sourcesByDestination(pairs);
  const origin = originAmong(candidates(record, pairs, sources), pairs);
  if (!origin) return replicaOnly(record, sources);
  return { states: statesFrom(origin, record, pairs, options), unattributed: NONE_UNATTRIBUTED };
}

function replicaOnly(record: VersionRecord, sources: ReadonlyMap<string, readonly string[]>): VersionEvaluation {
  const states: PairState[] = [];
  let unattributed: ReplicaWithoutSource[] | undefined;
  for (const replica of replicasWithoutSource(record, sources)) {
    if (replica.sources.length !== 1 || replica.writerUnknown) {
      (unattributed ??= []).push(replica);
      continue;
    }
    states.push({
      source: replica.sources[0],
      destination: replica.destination,
      key: record.key,
      versionId: record.versionId,
      state: 'COMPLETED',
      sourceAt: replica.at,
      latencySeconds: null,
      bytes: record.slots[writeSlot(replica.destination)].bytes ?? 0,
      failureReason: undefined,
      failureClass: undefined,
      pendingSeconds: undefined,
      withoutSource: true,
    });
  }
  return { states, unattributed: unattributed ?? NONE_UNATTRIBUTED };
}

/** What one pass over a record's slots says about its failure notices (most records have none). */
const enum Notices {
  None = 0,
  /** Some failure notice (`f:` or `m:`) exists. */
  Any = 1,
  /** A delete-marker notice about the origin: the version is a delete marker, not an object version. */
  Marker = 2,
}

/**
 * Whether the record holds failure notices, and whether one of the origin's says the version is a delete marker
 * (DstDelObjNotPermitted about any destination). A source-deleted notice is not carried over to the other
 * destinations this way: a destination whose replica is proven later would then have passed through SOURCE_DELETED,
 * published, depending on the order of arrival.
 */
function noticesOf(record: VersionRecord, source: string): Notices {
  let found = Notices.None;
  // Hot path (every record of a report): prefix tests without building strings.
  for (const name in record.slots) {
    if (name.startsWith(SLOT_PREFIX.metadataFailure)) found |= Notices.Any;
    else if (name.startsWith(SLOT_PREFIX.failure)) {
      found |= Notices.Any;
      if (
        name.startsWith(source, 2) &&
        name.charCodeAt(2 + source.length) === 62 /* > */ &&
        failureClassOf(record.slots[name].what) === 'deleteMarker'
      )
        return Notices.Any | Notices.Marker;
    }
  }
  return found;
}

/**
 * The state of each pair of a version with a known origin. In order, for one destination:
 * 1. the version is a delete marker (a DstDelObjNotPermitted notice): DELETE_MARKER_FAILED for each pair with such a
 *    notice; other pairs have no state (a marker is not an object version to expect anywhere);
 * 2. the replica is proven (its write, HeadObject 200 of the version in the destination, or the source's aggregate
 *    status COMPLETED): COMPLETED — a failure notice never takes a proven replica back (so a completion is never
 *    published twice), and a metadata failure notice marks it (`failureClass` metadata);
 * 3. the pair's own notice: data → FAILED, sourceDeleted → SOURCE_DELETED;
 * 4. the pair's own metadata notice: FAILED (its replica is not proven);
 * 5. the source's status FAILED (one destination, or this one shown lacking the version): FAILED;
 * 6. otherwise PENDING, or OVERDUE past the threshold.
 */
function statesFrom(origin: Candidate, record: VersionRecord, pairs: PairIndex, options: EvaluationOptions): PairState[] {
  const destinations = pairs.get(origin.bucket);
  if (!destinations) return [];
  const slots = record.slots;
  const sourceWrite = slots[writeSlot(origin.bucket)];
  const check = slots[checkSlot(origin.bucket)];
  // HeadObject found no replication status: no rule replicates this version, so it is not tracked.
  if (check?.what === 'NONE') return [];
  const notices = noticesOf(record, origin.bucket);
  const marker = (notices & Notices.Marker) !== 0;
  // Failure slot names are built only for the few records that hold notices.
  const anyFailure = notices ? slots[failureSlot(origin.bucket)] : undefined;
  const anyMetadata = notices ? slots[metadataFailureSlot(origin.bucket)] : undefined;
  const sourceCompleted = check?.what === 'COMPLETED' || check?.what === 'COMPLETE';
  const states: PairState[] = [];
  for (const destination of destinations) {
    const replica = slots[writeSlot(destination)];
    const failure = notices ? (slots[failureSlot(origin.bucket, destination)] ?? anyFailure) : undefined;
    const failureClass = failure ? failureClassOf(failure.what) : undefined;
    // A metadata reason in an `f:` slot (written before `m:` slots existed) is a metadata notice all the same.
    const metadata = notices
      ? (slots[metadataFailureSlot(origin.bucket, destination)] ?? anyMetadata ?? (failureClass === 'metadata' ? failure : undefined))
      : undefined;
    if (marker && failureClass !== 'deleteMarker') continue;
    // One object literal of one shape per state: spreads here dominated the cost of a whole report.
    let state: PairState['state'];
    let latencySeconds: number | null = null;
    let failureReason: string | undefined;
    let failureCls: PairState['failureClass'];
    let pendingSeconds: number | undefined;
    // HeadObject of the version in the destination (the sweep): the only proof per destination (issue 8.3).
    const held = slots[checkSlot(destination)]?.what;
    if (marker) {
      state = 'DELETE_MARKER_FAILED';
      failureReason = failure!.what;
      failureCls = 'deleteMarker';
    } else if (replica || (held !== undefined && PRESENT_STATUSES.has(held)) || sourceCompleted) {
      // A replica settles it, even after a failure notice (S3 retried and succeeded). Proved by HeadObject in D or on
      // the source (the replica's event may never come): completed, without a latency.
      state = 'COMPLETED';
      if (replica) latencySeconds = origin.fromCheck ? null : Math.max(0, replica.at - origin.at) / 1000;
      if (metadata) {
        failureReason = metadata.what;
        failureCls = 'metadata';
      }
    } else if (failure && failureClass !== 'metadata') {
      state = failureClass === 'sourceDeleted' ? 'SOURCE_DELETED' : 'FAILED';
      failureReason = failure.what;
      failureCls = failureClass;
    } else if (metadata) {
      state = 'FAILED';
      failureReason = metadata.what;
      failureCls = 'metadata';
    } else if (check?.what === 'FAILED' && (destinations.length === 1 || held === 'NOT_FOUND')) {
      // The source's status is one aggregate over all destinations: with several, it fails only the ones shown lacking it.
      state = 'FAILED';
      failureReason = 'ReplicationStatusFailed';
      failureCls = 'data';
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
      bytes: sizeOf(sourceWrite, replica, failure ?? metadata),
      failureReason,
      failureClass: failureCls,
      pendingSeconds,
      withoutSource: origin.fromCheck,
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
