import fc from 'fast-check';
import { changeFor, VersionTracker, type S3ChangeEvent, type SlotChange, type VersionRecord } from '../../../lambda/core';
import { forEachChange, keepOf, pushChange, type CompactChanges } from '../../../engines/replay/compact';

/**
 * Changes between workers: any events' changes, written in the compact form and read back, are the changes
 * `changeFor` made (every field, none added), and a tracker fed them holds what one fed the changes directly holds.
 */
const T0 = Date.parse('2026-11-20T10:00:00Z');
const time = fc.integer({ min: 0, max: 600 }).map((s) => T0 + s * 1000);
const key = fc.constantFrom('k', 'a b+c', 'ü/写真 %2B', 'q"\\');
const versionId = fc.constantFrom('v1', 'v2', 'null');
const bytes = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined });

const eventArb: fc.Arbitrary<S3ChangeEvent> = fc.oneof(
  fc
    .record({
      type: fc.constant('write' as const),
      bucket: fc.constantFrom('src-a', 'dst-1', 'dst-2'),
      key,
      versionId,
      at: time,
      operation: fc.constantFrom('PutObject' as const, 'CopyObject' as const, 'CompleteMultipartUpload' as const),
      bytes,
      byReplication: fc.boolean(),
    })
    .map(({ bytes: size, ...rest }) => (size === undefined ? rest : { ...rest, bytes: size })),
  fc
    .record({
      type: fc.constant('replication' as const),
      notice: fc.constantFrom(
        'OperationFailedReplication' as const,
        'OperationReplicatedAfterThreshold' as const,
        'OperationMissedThreshold' as const,
      ),
      bucket: fc.constant('src-a'),
      key,
      versionId,
      destination: fc.constantFrom('dst-1', 'dst-2'),
      at: time,
      requestedAt: fc.option(time, { nil: undefined }),
      // One reason per (time, notice): equal (at, tie) is the same observation, as the model assumes.
      bytes: fc.constant(undefined),
    })
    .map(({ requestedAt, bytes: _bytes, ...rest }) => ({
      ...rest,
      failureReason: `Reason${rest.at % 3}`,
      ...(requestedAt === undefined ? {} : { requestedAt: Math.min(requestedAt, rest.at) - (rest.at % 7) }),
    })),
  fc.record({
    type: fc.constant('check' as const),
    bucket: fc.constantFrom('src-a', 'dst-1'),
    key,
    versionId,
    at: time,
    status: fc.constantFrom('PENDING' as const, 'COMPLETED' as const, 'FAILED' as const),
  }),
);

/** Records as comparable data: sorted by key and version, slots sorted by name. */
function canonical(records: Iterable<VersionRecord>) {
  return [...records]
    .map((r) => ({
      key: r.key,
      versionId: r.versionId,
      slots: Object.fromEntries(Object.entries(r.slots).sort(([a], [b]) => (a < b ? -1 : 1))),
    }))
    .sort((a, b) => (a.key + '\0' + a.versionId < b.key + '\0' + b.versionId ? -1 : 1));
}

const roundTrip = (changes: SlotChange[]) => {
  const flat: CompactChanges = [];
  for (const change of changes) pushChange(flat, change);
  const read: SlotChange[] = [];
  forEachChange(JSON.stringify(flat), (change) => read.push(change));
  return read;
};

describe('compact changes', () => {
  it('read back as changeFor made them, so a tracker fed them holds the same records', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        const changes = events.map(changeFor).filter((change): change is SlotChange => change !== undefined);
        const read = roundTrip(changes);
        // Same fields, same order of fields, nothing undefined added.
        expect(read.map((c) => JSON.stringify(c))).toEqual(changes.map((c) => JSON.stringify(c)));
        expect(read).toStrictEqual(changes);
        const direct = new VersionTracker();
        const viaCompact = new VersionTracker();
        for (const change of changes) direct.applyChange(change);
        for (const change of read) viaCompact.applyChange(change);
        expect(canonical(viaCompact.records())).toEqual(canonical(direct.records()));
      }),
      { numRuns: 500 },
    );
  });

  it('merges writes to the earliest and failures and checks to the latest', () => {
    expect([keepOf('w:bucket'), keepOf('f:a>b'), keepOf('f:a>*'), keepOf('c:bucket')]).toEqual(['earliest', 'latest', 'latest', 'latest']);
  });
});
