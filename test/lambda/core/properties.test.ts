import fc from 'fast-check';
import { applyChange, changeFor, reportOnRecords, VersionTracker, type S3ChangeEvent, type VersionRecord } from '../../../lambda/core';

/**
 * The state must not depend on arrival order or on how many times an event is delivered.
 * Streams are drawn over a small universe of buckets, keys and versions so that events collide.
 */
const BUCKETS = ['src-a', 'src-b', 'dst-1', 'dst-2'];
const PAIRS = [
  { source: 'src-a', destination: 'dst-1' },
  { source: 'src-a', destination: 'dst-2' },
  { source: 'src-b', destination: 'dst-1' },
  { source: 'dst-2', destination: 'src-a' }, // makes src-a ↔ dst-2 bi-directional
];
const T0 = Date.parse('2026-11-20T10:00:00Z');

const writeArb = fc
  .record({
    type: fc.constant('write' as const),
    bucket: fc.constantFrom(...BUCKETS),
    key: fc.constantFrom('k', 'a b+c', 'ü/写真 %2B'),
    versionId: fc.constantFrom('v1', 'v2'),
    at: fc.integer({ min: 0, max: 3_600 }).map((s) => T0 + s * 1000),
    operation: fc.constantFrom('PutObject' as const, 'CopyObject' as const, 'CompleteMultipartUpload' as const),
    bytes: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
    byReplication: fc.boolean(),
  })
  .map(({ bytes, ...rest }) => (bytes === undefined ? rest : { ...rest, bytes }));

const failureArb = fc.record({
  type: fc.constant('replication' as const),
  notice: fc.constantFrom(
    'OperationFailedReplication' as const,
    'OperationReplicatedAfterThreshold' as const,
    'OperationMissedThreshold' as const,
  ),
  bucket: fc.constantFrom('src-a', 'src-b'),
  key: fc.constantFrom('k', 'a b+c'),
  versionId: fc.constantFrom('v1', 'v2'),
  destination: fc.constantFrom('dst-1', 'dst-2'),
  at: fc.integer({ min: 0, max: 3_600 }).map((s) => T0 + s * 1000),
  requestedAt: fc.integer({ min: 0, max: 600 }).map((s) => T0 + s * 1000),
  failureReason: fc.constantFrom('DstPutObjectNotPermitted', 'DstKmsKeyNotFound'),
});

const checkArb = fc.record({
  type: fc.constant('check' as const),
  bucket: fc.constantFrom('src-a', 'src-b', 'dst-2'),
  key: fc.constant('k'),
  versionId: fc.constant('v1'),
  at: fc.integer({ min: 0, max: 3_600 }).map((s) => T0 + s * 1000),
  status: fc.constantFrom(
    'PENDING' as const,
    'COMPLETED' as const,
    'FAILED' as const,
    'NONE' as const,
    'FORBIDDEN' as const,
    'NOT_FOUND' as const,
    'REPLICA' as const,
  ),
});

/**
 * Replica-only shapes: replication writes into destinations (dst-1 has two configured sources, dst-2 one, and
 * src-a is dst-2's destination in the bi-directional pair) of versions whose source write is never in the stream.
 */
const replicaArb = fc.record({
  type: fc.constant('write' as const),
  bucket: fc.constantFrom('dst-1', 'dst-2', 'src-a'),
  key: fc.constantFrom('k', 'r/only'),
  versionId: fc.constantFrom('v1', 'v3'),
  at: fc.integer({ min: 0, max: 3_600 }).map((s) => T0 + s * 1000),
  operation: fc.constantFrom('PutObject' as const, 'CompleteMultipartUpload' as const),
  bytes: fc.integer({ min: 0, max: 10_000 }),
  byReplication: fc.constant(true),
});

/** S3's EventBridge `Object Created` writes: the event does not say who wrote the version (`writerUnknown`). */
const unknownWriterArb = fc.record({
  type: fc.constant('write' as const),
  bucket: fc.constantFrom(...BUCKETS),
  key: fc.constantFrom('k', 'r/only'),
  versionId: fc.constantFrom('v1', 'v3'),
  at: fc.integer({ min: 0, max: 3_600 }).map((s) => T0 + s * 1000),
  operation: fc.constantFrom('PutObject' as const, 'CopyObject' as const, 'CompleteMultipartUpload' as const),
  bytes: fc.integer({ min: 0, max: 10_000 }),
  byReplication: fc.constant(false),
  writerUnknown: fc.constant(true as const),
});

const eventArb: fc.Arbitrary<S3ChangeEvent> = fc.oneof(
  { weight: 6, arbitrary: writeArb },
  { weight: 3, arbitrary: replicaArb },
  { weight: 3, arbitrary: unknownWriterArb },
  { weight: 2, arbitrary: failureArb },
  { weight: 1, arbitrary: checkArb },
);

/** A stream, and a delivery of it: shuffled, with some events repeated. */
const deliveryArb = fc.array(eventArb, { minLength: 1, maxLength: 40 }).chain((events) =>
  fc.tuple(
    fc.constant(events),
    fc
      .array(fc.nat({ max: events.length - 1 }), { maxLength: 20 })
      .chain((repeats) =>
        fc.shuffledSubarray([...events, ...repeats.map((i) => events[i])], { minLength: events.length + repeats.length }),
      ),
  ),
);

function replay(events: S3ChangeEvent[]): Map<string, VersionRecord> {
  const records = new Map<string, VersionRecord>();
  for (const event of events) {
    const change = changeFor(event);
    if (!change) continue;
    const id = `${change.key}|${change.versionId}`;
    records.set(id, applyChange(records.get(id), change));
  }
  return records;
}

/** Records compared without regard to the order their slots were created in. */
const canonical = (records: Map<string, VersionRecord>) =>
  [...records.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, r]) => [id, Object.entries(r.slots).sort(([a], [b]) => (a < b ? -1 : 1))]);

const report = (records: Iterable<VersionRecord>, at: number) =>
  reportOnRecords(() => records, { pairs: PAIRS, overdueMillis: 15 * 60_000, at, fallbackAt: 0 }, { rejected: 0, ignored: 0 }).report;

describe('order and repetition independence', () => {
  it('the merged records are the same for any order and any number of deliveries', () => {
    fc.assert(
      fc.property(deliveryArb, ([original, delivered]) => {
        expect(canonical(replay(delivered))).toEqual(canonical(replay(original)));
      }),
      { numRuns: 500 },
    );
  });

  it('the report (states, statistics, lists) is the same for any order and any number of deliveries', () => {
    fc.assert(
      fc.property(deliveryArb, fc.integer({ min: 0, max: 7_200 }), ([original, delivered], atSeconds) => {
        const at = T0 + atSeconds * 1000;
        expect(report(replay(delivered).values(), at)).toEqual(report(replay(original).values(), at));
      }),
      { numRuns: 300 },
    );
  });

  it('the in-place tracker used by analyze agrees with the copying merge the store mirrors', () => {
    fc.assert(
      fc.property(deliveryArb, ([, delivered]) => {
        const tracker = new VersionTracker();
        for (const event of delivered) tracker.apply(event);
        const viaTracker = new Map([...tracker.records()].map((r) => [`${r.key}|${r.versionId}`, r]));
        expect(canonical(viaTracker)).toEqual(canonical(replay(delivered)));
      }),
      { numRuns: 200 },
    );
  });

  it('merging is commutative and idempotent for any two changes to the same version', () => {
    fc.assert(
      fc.property(eventArb, eventArb, (a, b) => {
        const ca = changeFor(a);
        const cb = changeFor(b);
        if (!ca || !cb || ca.key !== cb.key || ca.versionId !== cb.versionId) return;
        const ab = applyChange(applyChange(undefined, ca), cb);
        const ba = applyChange(applyChange(undefined, cb), ca);
        expect(ab.slots).toEqual(ba.slots);
        expect(applyChange(ab, ca).slots).toEqual(ab.slots);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('replica-only versions', () => {
  const onlyReplicas = fc.array(replicaArb, { minLength: 1, maxLength: 12 });

  it('never leave anything pending or overdue, and complete exactly the single-source destinations, in any order', () => {
    fc.assert(
      fc.property(onlyReplicas, fc.integer({ min: 0, max: 7_200 }), (events, atSeconds) => {
        const records = replay(events);
        const result = report(records.values(), T0 + atSeconds * 1000);
        expect(result.overdue).toEqual([]);
        expect(result.pairs.every((p) => p.pending === 0 && p.overdue === 0 && p.failed === 0)).toBe(true);
        expect(result.pairs.every((p) => p.completed === p.completedWithoutSource && p.latencySeconds.max === null)).toBe(true);
        // Each (version, destination) counts once: in the one pair that feeds it, or as unattributed (dst-1).
        const written = new Set(events.map((e) => `${e.key}|${e.versionId}|${e.bucket}`));
        const toDst1 = [...written].filter((w) => w.endsWith('|dst-1')).length;
        expect(result.unattributed).toBe(toDst1);
        expect(result.pairs.reduce((n, p) => n + p.completed, 0)).toBe(written.size - toDst1);
        const bidirectional = result.pairs.find((p) => p.source === 'dst-2' && p.destination === 'src-a');
        expect(bidirectional?.completed ?? 0).toBe([...written].filter((w) => w.endsWith('|src-a')).length);
      }),
      { numRuns: 300 },
    );
  });
});
