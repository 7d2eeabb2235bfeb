import fc from 'fast-check';
import { changeFor, reportOnRecords, VersionTracker, type ReplicationPair, type S3ChangeEvent } from '../../../lambda/core';
import { ownerOf } from '../../../engines/replay/partition';
import { mergeReports, shareReport, summarizeShare, termsOf } from '../../../engines/replay/shares';

/**
 * The multi-threaded replay's merge: however the versions are shared out between trackers (the hash the workers
 * use, or any other assignment of whole versions), the merged report is the one a single tracker gives, whether
 * pairs are configured or inferred and whether the evaluation time is given or the latest event's.
 */
const BUCKETS = ['src-a', 'src-b', 'dst-1', 'dst-2'];
const PAIRS: ReplicationPair[] = [
  { source: 'src-a', destination: 'dst-1' },
  { source: 'src-a', destination: 'dst-2' },
  { source: 'src-b', destination: 'dst-1' },
];
const T0 = Date.parse('2026-11-20T10:00:00Z');
const time = fc.integer({ min: 0, max: 7_200 }).map((s) => T0 + s * 1000);
const key = fc.constantFrom('k', 'a b+c', 'ü/写真 %2B', 'x/y', 'z');
const versionId = fc.constantFrom('v1', 'v2', 'v3', 'null');

const eventArb: fc.Arbitrary<S3ChangeEvent> = fc.oneof(
  fc
    .record({
      type: fc.constant('write' as const),
      bucket: fc.constantFrom(...BUCKETS),
      key,
      versionId,
      at: time,
      operation: fc.constantFrom('PutObject' as const, 'CopyObject' as const, 'CompleteMultipartUpload' as const),
      bytes: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
      byReplication: fc.boolean(),
    })
    .map(({ bytes, ...rest }) => (bytes === undefined ? rest : { ...rest, bytes })),
  fc.record({
    type: fc.constant('replication' as const),
    notice: fc.constantFrom('OperationFailedReplication' as const, 'OperationReplicatedAfterThreshold' as const),
    bucket: fc.constantFrom('src-a', 'src-b'),
    key,
    versionId,
    destination: fc.constantFrom('dst-1', 'dst-2'),
    at: time,
    failureReason: fc.constantFrom('DstPutObjectNotPermitted', 'DstKmsKeyNotFound'),
  }),
  fc.record({
    type: fc.constant('check' as const),
    bucket: fc.constantFrom(...BUCKETS),
    key,
    versionId,
    at: time,
    status: fc.constantFrom('PENDING' as const, 'COMPLETED' as const, 'FAILED' as const, 'REPLICA' as const, 'NOT_FOUND' as const),
  }),
);

function single(events: S3ChangeEvent[], pairs: ReplicationPair[], at: number | undefined) {
  const tracker = new VersionTracker();
  for (const event of events) tracker.apply(event);
  return reportOnRecords(() => tracker.records(), { pairs, overdueMillis: 15 * 60_000, at, fallbackAt: 0 }, { rejected: 3, ignored: 2 });
}

/** The workers' path: each change to the tracker `assign` names for its version, then the shares merged. */
function shared(
  events: S3ChangeEvent[],
  shares: number,
  assign: (key: string, versionId: string) => number,
  pairs: ReplicationPair[],
  at?: number,
) {
  const trackers = Array.from({ length: shares }, () => new VersionTracker());
  for (const event of events) {
    const change = changeFor(event);
    if (change) trackers[assign(change.key, change.versionId)].applyChange(change);
  }
  const summaries = trackers.map((t) => summarizeShare(() => t.records(), t.size, pairs.length === 0));
  const terms = termsOf(summaries, { pairs, at, fallbackAt: 0 });
  const parts = trackers.map((t) => shareReport(t.records(), terms, 15 * 60_000, 900));
  return mergeReports(parts, { at: terms.at, objectiveSeconds: 900 }, { rejected: 3, ignored: 2 });
}

const casesArb = fc.record({
  events: fc.array(eventArb, { minLength: 0, maxLength: 60 }),
  shares: fc.integer({ min: 1, max: 6 }),
  configured: fc.boolean(),
  at: fc.option(time, { nil: undefined }),
});

describe('sharing versions out between trackers', () => {
  it('the hash partition the workers use does not change the report (table detail included)', () => {
    fc.assert(
      fc.property(casesArb, ({ events, shares, configured, at }) => {
        const pairs = configured ? PAIRS : [];
        const expected = single(events, pairs, at);
        const got = shared(events, shares, (k, v) => ownerOf(k, v, shares), pairs, at);
        expect(JSON.stringify(got.report)).toBe(JSON.stringify(expected.report));
        const reasons = (m: Map<string, Readonly<Record<string, number>>>) =>
          [...m].map(([pair, r]) => [pair, Object.entries(r).sort()]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
        expect(reasons(got.detail.failedByReason)).toEqual(reasons(expected.detail.failedByReason));
      }),
      { numRuns: 400 },
    );
  });

  it('nor does any other assignment of whole versions, in any order of the events', () => {
    fc.assert(
      fc.property(casesArb, fc.func(fc.nat()), fc.infiniteStream(fc.nat()), ({ events, shares, configured, at }, pick, order) => {
        const pairs = configured ? PAIRS : [];
        const shuffled = events
          .map((e) => [order.next().value, e] as const)
          .sort((a, b) => a[0] - b[0])
          .map(([, e]) => e);
        const got = shared(shuffled, shares, (k, v) => pick(k, v) % shares, pairs, at);
        expect(JSON.stringify(got.report)).toBe(JSON.stringify(single(events, pairs, at).report));
      }),
      { numRuns: 300 },
    );
  });
});
