/**
 * Issue 15 in the core: failure classes through evaluation, outcomes and the report, whatever the order of arrival and
 * however often events repeat; the COMPLETED → FAILED → COMPLETED path (a failure notice after the replica was
 * proven) publishing its completion once; chains; HeadObject in a destination.
 *
 * The streams are drawn from a ground truth of what S3 did per version and destination, so every event is one S3
 * could send: a redriven version's notice, its late replica and the source's final COMPLETED status together are
 * exactly the path that once published two completions (the status completed the pair, the notice failed it, the
 * replica completed it again).
 */
import fc from 'fast-check';
import {
  applyChange,
  changeFor,
  evaluateRecord,
  indexPairs,
  reportOnRecords,
  type PairState,
  type S3ChangeEvent,
  type VersionRecord,
} from '../../../lambda/core';
import { outcomesOf, type Outcome } from '../../../lambda/core/outcomes';

const PAIRS = [
  { source: 'src-a', destination: 'dst-1' },
  { source: 'src-a', destination: 'dst-2' },
  { source: 'src-b', destination: 'dst-1' },
  { source: 'dst-2', destination: 'src-a' }, // src-a ↔ dst-2 is bi-directional
];
const PAIR_INDEX = indexPairs(PAIRS);
const T0 = Date.parse('2026-11-20T10:00:00Z');
const HOUR = 3_600_000;

type Fate =
  'replicated' | 'failed' | 'failedThenRedriven' | 'metadataAfterReplica' | 'metadataWithoutReplica' | 'sourceDeleted' | 'pending';
const FATES: Fate[] = [
  'replicated',
  'failed',
  'failedThenRedriven',
  'metadataAfterReplica',
  'metadataWithoutReplica',
  'sourceDeleted',
  'pending',
];
const REPLICATED: ReadonlySet<Fate> = new Set(['replicated', 'failedThenRedriven', 'metadataAfterReplica']);

const versionArb = fc.record({
  marker: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  source: fc.constantFrom('src-a', 'src-b'),
  key: fc.constantFrom('k', 'a b+c'),
  at: fc.integer({ min: 0, max: 600 }),
  bytes: fc.integer({ min: 0, max: 10_000 }),
  sourceSeen: fc.boolean(),
  fates: fc.array(fc.constantFrom(...FATES), { minLength: 2, maxLength: 2 }),
  delays: fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 2, maxLength: 2 }),
  replicaSeen: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  sourceCheck: fc.boolean(),
  destinationChecks: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  reasonOfMetadata: fc.constantFrom('DstPutTaggingNotPermitted', 'DstPutAclNotPermitted', 'DstVersionNotFound'),
  anyDestination: fc.boolean(),
});

type Truth = typeof versionArb extends fc.Arbitrary<infer T> ? T : never;

function notice(v: Truth, versionId: string, destination: string | undefined, at: number, reason: string): S3ChangeEvent {
  return {
    type: 'replication',
    notice: 'OperationFailedReplication',
    bucket: v.source,
    key: v.key,
    versionId,
    ...(destination ? { destination } : {}),
    at,
    requestedAt: T0 + v.at * 1000,
    failureReason: reason,
    s3Operation: 'OBJECT_PUT',
  };
}

function eventsOf(v: Truth, index: number): S3ChangeEvent[] {
  const versionId = `v${index}`;
  const base = { key: v.key, versionId };
  const sourceAt = T0 + v.at * 1000;
  const destinations = PAIR_INDEX.get(v.source)!;
  if (v.marker) {
    // A delete marker (DeleteObject is not an object write: only its failure notices are seen).
    return v.anyDestination
      ? [notice(v, versionId, undefined, sourceAt + 5000, 'DstDelObjNotPermitted')]
      : destinations.map((d, i) => notice(v, versionId, d, sourceAt + v.delays[i] * 1000, 'DstDelObjNotPermitted'));
  }
  const events: S3ChangeEvent[] = [];
  if (v.sourceSeen) {
    events.push({ type: 'write', bucket: v.source, ...base, at: sourceAt, operation: 'PutObject', bytes: v.bytes, byReplication: false });
  }
  const fates = destinations.map((_, i) => v.fates[i]);
  const replica = (destination: string, at: number): S3ChangeEvent => ({
    type: 'write',
    bucket: destination,
    ...base,
    at,
    operation: 'PutObject',
    bytes: v.bytes,
    byReplication: true,
  });
  destinations.forEach((destination, i) => {
    const at = sourceAt + v.delays[i] * 1000;
    switch (fates[i]) {
      case 'replicated':
        if (v.replicaSeen[i]) events.push(replica(destination, at));
        break;
      case 'failed':
        events.push(notice(v, versionId, destination, at, 'DstKmsKeyNotFound'));
        break;
      case 'failedThenRedriven':
        // Always seen: only a later HeadObject could tell otherwise, and the destination check below may be that.
        events.push(notice(v, versionId, destination, at, 'DstPutObjectNotPermitted'), replica(destination, at + 60_000));
        break;
      case 'metadataAfterReplica':
        // The replica arrived; a later tag (or ACL) change could not be replicated.
        if (v.replicaSeen[i]) events.push(replica(destination, at));
        events.push(notice(v, versionId, destination, at + 120_000, v.reasonOfMetadata));
        break;
      case 'metadataWithoutReplica':
        events.push(notice(v, versionId, destination, at, v.reasonOfMetadata));
        break;
      case 'sourceDeleted':
        events.push(notice(v, versionId, destination, at, 'SrcVersionNotFound'));
        break;
      case 'pending':
        break;
    }
    // HeadObject of the version in the destination an hour on, as the sweep records it: REPLICA for a 200.
    if (v.destinationChecks[i] && fates[i] !== 'pending') {
      const status = REPLICATED.has(fates[i]) ? 'REPLICA' : 'NOT_FOUND';
      events.push({ type: 'check', bucket: destination, ...base, at: sourceAt + HOUR, status });
    }
  });
  if (v.sourceCheck && !fates.includes('sourceDeleted')) {
    // The aggregate status S3 shows an hour on, once everything has happened (a redriven version is COMPLETED).
    const status = fates.every((f) => REPLICATED.has(f)) ? 'COMPLETED' : fates.some((f) => f === 'pending') ? 'PENDING' : 'FAILED';
    events.push({ type: 'check', bucket: v.source, ...base, at: sourceAt + HOUR, status });
  }
  return events;
}

const deliveryArb = fc.array(versionArb, { minLength: 1, maxLength: 6 }).chain((versions) => {
  const events = versions.flatMap(eventsOf);
  if (events.length === 0) return fc.constant([] as S3ChangeEvent[]);
  return fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 12 })
    .chain((repeats) => fc.shuffledSubarray([...events, ...repeats.map((i) => events[i])], { minLength: events.length + repeats.length }));
});

/** Replays a delivery as the drain does: every step's outcomes, and every pair's sequence of states. */
function drain(events: readonly S3ChangeEvent[]) {
  const records = new Map<string, VersionRecord>();
  const outcomes: Outcome[] = [];
  const paths = new Map<string, string[]>();
  for (const event of events) {
    const change = changeFor(event);
    if (!change) continue;
    const id = `${change.key}\u0000${change.versionId}`;
    const before = records.get(id);
    const after = applyChange(before, change);
    outcomes.push(...outcomesOf(before, after, PAIR_INDEX));
    records.set(id, after);
    for (const s of evaluateRecord(after, PAIR_INDEX, { at: T0, overdueMillis: Number.POSITIVE_INFINITY })) {
      const pathId = `${s.source}>${s.destination}|${s.key}|${s.versionId}`;
      const path = paths.get(pathId) ?? [];
      if (path[path.length - 1] !== s.state) path.push(s.state);
      paths.set(pathId, path);
    }
  }
  return { records, outcomes, paths };
}

const idOf = (o: { source: string; destination?: string; key: string; versionId: string }) =>
  `${o.source}>${o.destination}|${o.key}|${o.versionId}`;

describe('failure classes through outcomes and the report, in any order and with duplicates', () => {
  it('publishes each class once per version, as the report counts it, and a completion never twice', () => {
    fc.assert(
      fc.property(deliveryArb, (delivered) => {
        const { records, outcomes, paths } = drain(delivered);
        const { report } = reportOnRecords(
          () => records.values(),
          { pairs: PAIRS, overdueMillis: 900_000, at: T0, fallbackAt: 0 },
          { rejected: 0, ignored: 0 },
        );
        const per = new Map<string, number>();
        for (const o of outcomes) per.set(`${o.kind}|${idOf(o)}`, (per.get(`${o.kind}|${idOf(o)}`) ?? 0) + 1);
        for (const [kind, n] of per) expect([kind, n]).toEqual([kind, 1]);
        // A pair is never left COMPLETED for another state (so its completion cannot come a second time).
        for (const [id, path] of paths) {
          const at = path.indexOf('COMPLETED');
          if (at >= 0) expect([id, path.slice(at)]).toEqual([id, ['COMPLETED']]);
        }
        for (const p of report.pairs) {
          const pair = `${p.source}>${p.destination}|`;
          const n = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind && idOf(o).startsWith(pair)).length;
          expect(n('completed')).toBe(p.completed);
          expect(n('metadataFailed')).toBe(p.metadataFailed);
          expect(n('deleteMarkerFailed')).toBe(p.deleteMarkersFailed);
          expect(n('sourceDeleted')).toBe(p.sourceDeleted);
          const failures = report.failures.filter((f) => idOf(f).startsWith(pair));
          expect(failures.filter((f) => f.class === 'metadata').length).toBe(
            p.metadataFailed + failures.filter((f) => f.class === 'metadata' && finalOf(records, f)?.state === 'FAILED').length,
          );
          expect(failures.length).toBe(p.failed + p.metadataFailed + p.deleteMarkersFailed + p.sourceDeleted);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('generates the COMPLETED-by-status, then failure notice, then replica path, and completes it once', () => {
    // The path on its own, in every order: the property above draws it among everything else.
    const v: Truth = {
      marker: false,
      source: 'src-b',
      key: 'k',
      at: 0,
      bytes: 5,
      sourceSeen: true,
      fates: ['failedThenRedriven', 'failedThenRedriven'],
      delays: [10, 10],
      replicaSeen: [true, true],
      sourceCheck: true,
      destinationChecks: [false, false],
      reasonOfMetadata: 'DstPutTaggingNotPermitted',
      anyDestination: false,
    };
    const events = eventsOf(v, 0);
    expect(events.map((e) => e.type)).toEqual(['write', 'replication', 'write', 'check']);
    const orders = permutations(events);
    expect(orders).toHaveLength(24);
    for (const order of orders) {
      const { outcomes } = drain(order);
      expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
    }
    // The order that used to go COMPLETED → FAILED → COMPLETED: the status first, then the notice, then the replica.
    const { outcomes, paths } = drain([events[0], events[3], events[1], events[2]]);
    expect(outcomes.map((o) => o.kind)).toEqual(['completed', 'latency']);
    expect([...paths.values()]).toEqual([['PENDING', 'COMPLETED']]);
  });
});

function finalOf(records: Map<string, VersionRecord>, f: { source: string; destination: string; key: string; versionId: string }) {
  const record = records.get(`${f.key}\u0000${f.versionId}`);
  return record && evaluateRecord(record, PAIR_INDEX, { at: T0, overdueMillis: 900_000 }).find((s) => s.destination === f.destination);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const T = (seconds: number) => T0 + seconds * 1000;
const KEY = 'k';
const write = (bucket: string, seconds: number, byReplication = false): S3ChangeEvent => ({
  type: 'write',
  bucket,
  key: KEY,
  versionId: 'v',
  at: T(seconds),
  operation: 'PutObject',
  bytes: 10,
  byReplication,
});
const failed = (source: string, destination: string | undefined, seconds: number, reason: string, s3Operation?: string): S3ChangeEvent => ({
  type: 'replication',
  notice: 'OperationFailedReplication',
  bucket: source,
  key: KEY,
  versionId: 'v',
  ...(destination ? { destination } : {}),
  at: T(seconds),
  failureReason: reason,
  ...(s3Operation ? { s3Operation } : {}),
});
const check = (bucket: string, seconds: number, status: Extract<S3ChangeEvent, { type: 'check' }>['status']): S3ChangeEvent => ({
  type: 'check',
  bucket,
  key: KEY,
  versionId: 'v',
  at: T(seconds),
  status,
});
function statesOf(events: S3ChangeEvent[], pairs = PAIRS, at = T(3600)): PairState[] {
  let record: VersionRecord | undefined;
  for (const e of events) record = applyChange(record, changeFor(e)!);
  return evaluateRecord(record!, indexPairs(pairs), { at, overdueMillis: 900_000 });
}
const brief = (states: PairState[]) => states.map((s) => [s.destination, s.state, s.failureReason, s.failureClass]);

describe('evaluation by failure class', () => {
  it('metadata: COMPLETED with its reason when the replica is proven, FAILED otherwise', () => {
    const tags = failed('src-b', 'dst-1', 30, 'DstPutTaggingNotPermitted');
    expect(brief(statesOf([write('src-b', 0), write('dst-1', 5, true), tags]))).toEqual([
      ['dst-1', 'COMPLETED', 'DstPutTaggingNotPermitted', 'metadata'],
    ]);
    expect(brief(statesOf([write('src-b', 0), tags]))).toEqual([['dst-1', 'FAILED', 'DstPutTaggingNotPermitted', 'metadata']]);
    // Proven by HeadObject in the destination, or by the source's COMPLETED status.
    expect(brief(statesOf([write('src-b', 0), tags, check('dst-1', 600, 'REPLICA')]))[0][1]).toBe('COMPLETED');
    expect(brief(statesOf([write('src-b', 0), tags, check('src-b', 600, 'COMPLETED')]))[0][1]).toBe('COMPLETED');
  });

  it('metadata: a later notice of another class never replaces it (its own slot), so the mark is kept', () => {
    const events = [write('src-b', 0), write('dst-1', 5, true), failed('src-b', 'dst-1', 30, 'DstPutAclNotPermitted')];
    const later = failed('src-b', 'dst-1', 90, 'DstPutObjectNotPermitted');
    expect(brief(statesOf([...events, later]))).toEqual([['dst-1', 'COMPLETED', 'DstPutAclNotPermitted', 'metadata']]);
  });

  it('a notice about another operation than OBJECT_PUT is not a data failure of the version', () => {
    const other = failed('src-b', 'dst-1', 30, 'AssumeRoleNotPermitted', 'SOME_OTHER_OPERATION');
    expect(brief(statesOf([write('src-b', 0), write('dst-1', 5, true), other]))).toEqual([
      ['dst-1', 'COMPLETED', 'AssumeRoleNotPermitted', 'metadata'],
    ]);
    const put = failed('src-b', 'dst-1', 30, 'AssumeRoleNotPermitted', 'OBJECT_PUT');
    expect(brief(statesOf([write('src-b', 0), put]))).toEqual([['dst-1', 'FAILED', 'AssumeRoleNotPermitted', 'data']]);
  });

  it('deleteMarker: the version is a marker, in no object state; destinations without a notice are not expected', () => {
    expect(brief(statesOf([failed('src-a', 'dst-1', 5, 'DstDelObjNotPermitted')]))).toEqual([
      ['dst-1', 'DELETE_MARKER_FAILED', 'DstDelObjNotPermitted', 'deleteMarker'],
    ]);
    expect(brief(statesOf([failed('src-a', undefined, 5, 'DstDelObjNotPermitted')])).map((s) => s[1])).toEqual([
      'DELETE_MARKER_FAILED',
      'DELETE_MARKER_FAILED',
    ]);
  });

  it('sourceDeleted: neither failed nor pending nor overdue, per pair its notice names (every pair for a notice without one)', () => {
    expect(brief(statesOf([write('src-a', 0), write('dst-2', 4, true), failed('src-a', 'dst-1', 5, 'SrcVersionNotFound')]))).toEqual([
      ['dst-1', 'SOURCE_DELETED', 'SrcVersionNotFound', 'sourceDeleted'],
      ['dst-2', 'COMPLETED', undefined, undefined],
    ]);
    expect(brief(statesOf([write('src-a', 0), failed('src-a', undefined, 5, 'SrcKeyNotFound')])).map((s) => s[1])).toEqual([
      'SOURCE_DELETED',
      'SOURCE_DELETED',
    ]);
  });

  it('a data failure notice never takes back a proven replica (S3 retried and succeeded)', () => {
    for (const proof of [write('dst-1', 50, true), check('dst-1', 600, 'REPLICA'), check('src-b', 600, 'COMPLETED')]) {
      expect(statesOf([write('src-b', 0), proof, failed('src-b', 'dst-1', 30, 'DstKmsKeyNotFound')])[0].state).toBe('COMPLETED');
    }
  });
});

describe('HeadObject in a destination', () => {
  it('a 200 proves the replica whatever x-amz-replication-status says (replica modification sync)', () => {
    for (const status of ['REPLICA', 'PENDING', 'COMPLETED', 'FAILED', 'NONE', 'UNKNOWN'] as const) {
      // src-a's aggregate status stays PENDING while dst-2 is still on its way.
      const states = statesOf([write('src-a', 0), check('src-a', 600, 'PENDING'), check('dst-1', 600, status)]);
      expect([status, brief(states)]).toEqual([
        status,
        [
          ['dst-1', 'COMPLETED', undefined, undefined],
          ['dst-2', 'OVERDUE', undefined, undefined],
        ],
      ]);
    }
    expect(statesOf([write('src-a', 0), check('dst-1', 600, 'NOT_FOUND')])[0].state).toBe('OVERDUE');
    expect(statesOf([write('src-a', 0), check('dst-1', 600, 'FORBIDDEN')])[0].state).toBe('OVERDUE');
  });

  it('a replica answering with a source status is not a candidate origin: a bi-directional replica-only version', () => {
    // src-a ↔ dst-2, src-b → dst-1 ← src-a: the replica in dst-2 was seen, its source write was not; HeadObject on
    // dst-2 (replica modification sync) says PENDING. dst-2 must not become the origin expecting a replica in src-a.
    const pairs = [...PAIRS, { source: 'src-b', destination: 'dst-2' }];
    const states = statesOf([write('dst-2', 10, true), check('dst-2', 600, 'PENDING'), check('src-a', 600, 'COMPLETED')], pairs);
    expect(states.map((s) => [s.source, s.destination, s.state])).toEqual([
      ['src-a', 'dst-1', 'COMPLETED'],
      ['src-a', 'dst-2', 'COMPLETED'],
    ]);
  });
});

describe('chains: S3 does not replicate replicas', () => {
  // A → B → C: B's replicas of A's versions never reach C (except by Batch Replication).
  const CHAIN = [
    { source: 'bucket-a', destination: 'bucket-b' },
    { source: 'bucket-b', destination: 'bucket-c' },
  ];

  it("B → C tracks only B's own writes: a replica of A's version in B expects nothing in C", () => {
    const fromA = statesOf([write('bucket-a', 0), write('bucket-b', 5, true)], CHAIN, T(7200));
    expect(fromA.map((s) => [s.source, s.destination, s.state])).toEqual([['bucket-a', 'bucket-b', 'COMPLETED']]);
    // The source write never seen: the replica alone completes A → B, still nothing for B → C.
    const replicaOnly = statesOf([write('bucket-b', 5, true)], CHAIN, T(7200));
    expect(replicaOnly.map((s) => [s.source, s.destination, s.state, s.withoutSource])).toEqual([
      ['bucket-a', 'bucket-b', 'COMPLETED', true],
    ]);
    // B's own write is B's to replicate to C, and goes overdue when it does not.
    const ownWrite = statesOf([write('bucket-b', 0)], CHAIN, T(7200));
    expect(ownWrite.map((s) => [s.source, s.destination, s.state])).toEqual([['bucket-b', 'bucket-c', 'OVERDUE']]);
  });
});
