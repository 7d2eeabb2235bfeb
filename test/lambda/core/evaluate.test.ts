import {
  applyChange,
  candidateSources,
  evaluateVersion,
  changeFor,
  evaluateRecord,
  indexPairs,
  inferPairs,
  originOf,
  VersionTracker,
  type CheckOutcome,
  type PairState,
  type S3ChangeEvent,
  type VersionRecord,
} from '../../../lambda/core';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const KEY = 'photos/a b+c ü.jpg';
const V = 'v1';
const MIN = 60_000;

const write = (bucket: string, atSeconds: number, extra: Partial<Extract<S3ChangeEvent, { type: 'write' }>> = {}): S3ChangeEvent => ({
  type: 'write',
  bucket,
  key: KEY,
  versionId: V,
  at: T0 + atSeconds * 1000,
  operation: 'PutObject',
  byReplication: false,
  ...extra,
});
const failure = (
  source: string,
  destination: string | undefined,
  atSeconds: number,
  reason = 'DstPutObjectNotPermitted',
): S3ChangeEvent => ({
  type: 'replication',
  notice: 'OperationFailedReplication',
  bucket: source,
  key: KEY,
  versionId: V,
  ...(destination ? { destination } : {}),
  at: T0 + atSeconds * 1000,
  requestedAt: T0,
  failureReason: reason,
});
const check = (source: string, atSeconds: number, status: CheckOutcome): S3ChangeEvent => ({
  type: 'check',
  bucket: source,
  key: KEY,
  versionId: V,
  at: T0 + atSeconds * 1000,
  status,
});

function recordOf(events: S3ChangeEvent[]): VersionRecord {
  let record: VersionRecord | undefined;
  for (const event of events) record = applyChange(record, changeFor(event)!);
  return record!;
}

function states(events: S3ChangeEvent[], pairs: [string, string][], atSeconds = 60, overdueMinutes = 15): PairState[] {
  return evaluateRecord(recordOf(events), indexPairs(pairs.map(([source, destination]) => ({ source, destination }))), {
    at: T0 + atSeconds * 1000,
    overdueMillis: overdueMinutes * MIN,
  });
}

describe('merge', () => {
  it('keeps the earliest write per bucket and ignores a duplicate', () => {
    const a = changeFor(write('src', 5))!;
    const b = changeFor(write('src', 3))!;
    const once = applyChange(undefined, a);
    expect(applyChange(once, a)).toBe(once);
    expect(applyChange(once, b).slots['w:src'].at).toBe(T0 + 3000);
    expect(applyChange(applyChange(undefined, b), a).slots['w:src'].at).toBe(T0 + 3000);
  });

  it('keeps the latest failure notice, breaking time ties by reason', () => {
    const r1 = recordOf([failure('src', 'dst', 10, 'B'), failure('src', 'dst', 20, 'A')]);
    expect(r1.slots['f:src>dst'].what).toBe('A');
    const r2 = recordOf([failure('src', 'dst', 20, 'A'), failure('src', 'dst', 20, 'B')]);
    const r3 = recordOf([failure('src', 'dst', 20, 'B'), failure('src', 'dst', 20, 'A')]);
    expect(r2.slots['f:src>dst'].what).toBe('B');
    expect(r3).toEqual(r2);
  });
});

describe('evaluate', () => {
  it('is PENDING until the threshold, then OVERDUE (strictly longer than the threshold)', () => {
    expect(states([write('src', 0)], [['src', 'dst']], 15 * 60)[0]).toMatchObject({ state: 'PENDING', pendingSeconds: 900 });
    expect(states([write('src', 0)], [['src', 'dst']], 15 * 60 + 1)[0]).toMatchObject({ state: 'OVERDUE', pendingSeconds: 901 });
  });

  it('completes with latency = replica time − source time, whichever arrives first', () => {
    const forward = states([write('src', 0, { bytes: 42 }), write('dst', 13, { byReplication: true })], [['src', 'dst']]);
    const backward = states([write('dst', 13, { byReplication: true }), write('src', 0, { bytes: 42 })], [['src', 'dst']]);
    expect(forward).toEqual(backward);
    expect(forward[0]).toMatchObject({ state: 'COMPLETED', latencySeconds: 13, bytes: 42, source: 'src', destination: 'dst' });
  });

  it('matches a replica written by any identity, because the version matches', () => {
    const [state] = states([write('src', 0), write('dst', 4, { byReplication: false })], [['src', 'dst']]);
    expect(state.state).toBe('COMPLETED');
  });

  it('fails on a failure notice, and a replica arriving after the failure completes it', () => {
    expect(states([write('src', 0), failure('src', 'dst', 30)], [['src', 'dst']])[0]).toMatchObject({
      state: 'FAILED',
      failureReason: 'DstPutObjectNotPermitted',
    });
    expect(states([write('src', 0), failure('src', 'dst', 30), write('dst', 90)], [['src', 'dst']])[0]).toMatchObject({
      state: 'COMPLETED',
      latencySeconds: 90,
    });
  });

  it('reports a failure even when the source write event never arrived, timed by the request time', () => {
    const [state] = states([failure('src', 'dst', 30)], [['src', 'dst']]);
    expect(state).toMatchObject({ state: 'FAILED', sourceAt: T0 });
  });

  it('tracks each destination of a multi-destination source on its own', () => {
    const result = states(
      [write('src', 0), write('d1', 5), failure('src', 'd2', 20)],
      [
        ['src', 'd1'],
        ['src', 'd2'],
        ['src', 'd3'],
      ],
    );
    expect(result.map((s) => [s.destination, s.state])).toEqual([
      ['d1', 'COMPLETED'],
      ['d2', 'FAILED'],
      ['d3', 'PENDING'],
    ]);
  });

  it('applies a failure notice without a destination to every unreplicated destination', () => {
    const result = states(
      [write('src', 0), write('d1', 5), failure('src', undefined, 20)],
      [
        ['src', 'd1'],
        ['src', 'd2'],
      ],
    );
    expect(result.map((s) => [s.destination, s.state])).toEqual([
      ['d1', 'COMPLETED'],
      ['d2', 'FAILED'],
    ]);
  });

  it('uses the HeadObject status when no event settles the pair', () => {
    expect(states([write('src', 0), check('src', 1000, 'FAILED')], [['src', 'dst']], 2000)[0]).toMatchObject({
      state: 'FAILED',
      failureReason: 'ReplicationStatusFailed',
    });
    expect(states([write('src', 0), check('src', 1000, 'COMPLETED')], [['src', 'dst']], 2000)[0]).toMatchObject({
      state: 'COMPLETED',
      latencySeconds: null,
    });
    expect(states([write('src', 0), check('src', 1000, 'PENDING')], [['src', 'dst']], 2000)[0].state).toBe('OVERDUE');
  });

  it('stops tracking a version HeadObject shows no rule replicates, and keeps it overdue on 403/404', () => {
    expect(states([write('src', 0), check('src', 1000, 'NONE')], [['src', 'dst']], 2000)).toEqual([]);
    for (const answer of ['FORBIDDEN', 'NOT_FOUND'] as const) {
      expect(states([write('src', 0), check('src', 1000, answer)], [['src', 'dst']], 2000)[0].state).toBe('OVERDUE');
    }
  });

  it('takes the earlier write of a bi-directional pair as the source', () => {
    const pairs: [string, string][] = [
      ['a', 'b'],
      ['b', 'a'],
    ];
    expect(states([write('b', 0), write('a', 7)], pairs)).toEqual([
      expect.objectContaining({ source: 'b', destination: 'a', state: 'COMPLETED', latencySeconds: 7 }),
    ]);
    expect(states([write('a', 0)], pairs)).toEqual([expect.objectContaining({ source: 'a', destination: 'b', state: 'PENDING' })]);
  });

  it('breaks a same-second tie toward the bucket configured to replicate to the other', () => {
    expect(
      originOf(recordOf([write('zz-source', 0), write('aa-dest', 0)]), indexPairs([{ source: 'zz-source', destination: 'aa-dest' }]))
        ?.bucket,
    ).toBe('zz-source');
  });

  it('does not treat a replica in a chained bucket as a new source', () => {
    // a → b and b → c are configured; a version written to a and replicated to b is not pending for c.
    const result = states(
      [write('a', 0), write('b', 5)],
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
    );
    expect(result.map((s) => [s.source, s.destination, s.state])).toEqual([['a', 'b', 'COMPLETED']]);
  });

  it('yields nothing for a version seen only in a bucket that is not a configured source', () => {
    expect(states([write('dst', 5)], [['src', 'dst']])).toEqual([]);
  });

  it('never reports a negative latency when the replica clock is ahead of the source', () => {
    const tracker = new VersionTracker();
    tracker.apply(write('src', 10));
    tracker.apply(write('dst', 10));
    const [record] = [...tracker.records()];
    expect(
      evaluateRecord(record, indexPairs([{ source: 'src', destination: 'dst' }]), { at: T0, overdueMillis: MIN })[0].latencySeconds,
    ).toBe(0);
  });
});

describe('inferPairs', () => {
  it('infers source → every other holder of the version, and the destination a failure names', () => {
    const records = [
      recordOf([write('src', 0), write('d1', 3), write('d2', 4)]),
      { ...recordOf([write('src', 0), failure('src', 'd3', 9)]), versionId: 'v2' },
    ];
    expect(inferPairs(records)).toEqual([
      { source: 'src', destination: 'd1' },
      { source: 'src', destination: 'd2' },
      { source: 'src', destination: 'd3' },
    ]);
  });
});

describe('replica-only versions (the source write was never seen)', () => {
  const replica = (bucket: string, atSeconds: number, bytes = 64) => write(bucket, atSeconds, { byReplication: true, bytes });
  const pairsOf = (list: [string, string][]) => indexPairs(list.map(([source, destination]) => ({ source, destination })));
  const opts = { at: T0 + 3_600_000, overdueMillis: 15 * MIN };

  it('completes S→D without latency when D has exactly one configured source', () => {
    expect(states([replica('dst', 5)], [['src', 'dst']], 3600)).toEqual([
      {
        source: 'src',
        destination: 'dst',
        key: KEY,
        versionId: V,
        state: 'COMPLETED',
        sourceAt: T0 + 5000,
        latencySeconds: null,
        bytes: 64,
        failureReason: undefined,
        pendingSeconds: undefined,
        withoutSource: true,
      },
    ]);
  });

  it('in a bi-directional pair, a replication write into b completes a→b instead of making b→a overdue', () => {
    expect(
      states(
        [replica('b', 5)],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
        3600,
      ),
    ).toEqual([expect.objectContaining({ source: 'a', destination: 'b', state: 'COMPLETED', withoutSource: true, latencySeconds: null })]);
    // With the source write seen, it is an ordinary completion with latency, whichever bucket is which.
    expect(
      states(
        [replica('b', 5), write('a', 1)],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
        3600,
      ),
    ).toEqual([expect.objectContaining({ source: 'a', destination: 'b', state: 'COMPLETED', withoutSource: false, latencySeconds: 4 })]);
    expect(
      states(
        [replica('a', 9), write('b', 2)],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
        3600,
      ),
    ).toEqual([expect.objectContaining({ source: 'b', destination: 'a', state: 'COMPLETED', withoutSource: false, latencySeconds: 7 })]);
  });

  it('leaves a write into D with several configured sources unattributed, and names the candidates', () => {
    const record = recordOf([replica('dst', 5)]);
    const pairs = pairsOf([
      ['s2', 'dst'],
      ['s1', 'dst'],
    ]);
    expect(evaluateVersion(record, pairs, opts)).toEqual({
      states: [],
      unattributed: [{ destination: 'dst', at: T0 + 5000, sources: ['s1', 's2'], writerUnknown: false }],
    });
    expect(candidateSources(record, pairs)).toEqual([{ destination: 'dst', at: T0 + 5000, sources: ['s1', 's2'], writerUnknown: false }]);
    // Once HeadObject finds the version in s2 (any source status), s2 is its origin and the pair completes.
    const resolved = applyChange(record, changeFor(check('s2', 600, 'COMPLETED'))!);
    expect(candidateSources(resolved, pairs)).toEqual([]);
    expect(evaluateVersion(resolved, pairs, opts)).toEqual({
      states: [
        expect.objectContaining({ source: 's2', destination: 'dst', state: 'COMPLETED', latencySeconds: null, withoutSource: true }),
      ],
      unattributed: [],
    });
    // A 404 or a REPLICA status does not say the version is a source's.
    for (const status of ['NOT_FOUND', 'REPLICA', 'NONE'] as const) {
      expect(evaluateVersion(applyChange(record, changeFor(check('s2', 600, status))!), pairs, opts).unattributed).toHaveLength(1);
    }
  });

  it('a write into D that is not by replication is still an origin (a user wrote there)', () => {
    expect(states([write('dst', 5)], [['src', 'dst']])).toEqual([]);
    expect(candidateSources(recordOf([write('dst', 5)]), pairsOf([['src', 'dst']]))).toEqual([]);
  });

  it('a failure notice of the source still places the origin: the replica completes that pair with latency', () => {
    const result = states(
      [replica('d1', 50), failure('src', 'd2', 40)],
      [
        ['src', 'd1'],
        ['src', 'd2'],
      ],
      3600,
    );
    expect(result.map((s) => [s.destination, s.state, s.latencySeconds, s.withoutSource])).toEqual([
      ['d1', 'COMPLETED', 50, false],
      ['d2', 'FAILED', null, false],
    ]);
  });

  it('a check time never beats a write time for the same bucket, even when the checker clock is earlier', () => {
    const result = states([write('src', 100), check('src', 50, 'PENDING'), replica('dst', 130)], [['src', 'dst']], 3600);
    expect(result[0]).toMatchObject({ state: 'COMPLETED', latencySeconds: 30, withoutSource: false });
  });
});

describe('writes whose event does not name the writer (S3 EventBridge "Object Created")', () => {
  const seen = (bucket: string, atSeconds: number) => write(bucket, atSeconds, { writerUnknown: true, bytes: 64 });
  const pairsOf = (list: [string, string][]) => indexPairs(list.map(([source, destination]) => ({ source, destination })));
  const opts = { at: T0 + 3_600_000, overdueMillis: 15 * MIN };
  const oneWay: [string, string][] = [['src', 'dst']];
  const both: [string, string][] = [
    ['a', 'b'],
    ['b', 'a'],
  ];

  it('a destination write with the source write seen is its replica (same version ID), whatever the arrival order', () => {
    for (const events of [
      [seen('src', 1), seen('dst', 5)],
      [seen('dst', 5), seen('src', 1)],
    ]) {
      expect(states(events, oneWay)).toEqual([
        expect.objectContaining({
          source: 'src',
          destination: 'dst',
          state: 'COMPLETED',
          latencySeconds: 4,
          withoutSource: false,
          bytes: 64,
        }),
      ]);
    }
  });

  it('a destination write alone is never its own origin: unattributed, with the candidates for HeadObject', () => {
    const record = recordOf([seen('dst', 5)]);
    expect(evaluateVersion(record, pairsOf(oneWay), opts)).toEqual({
      states: [],
      unattributed: [{ destination: 'dst', at: T0 + 5000, sources: ['src'], writerUnknown: true }],
    });
    expect(originOf(record, pairsOf(oneWay))).toBeUndefined();
    expect(candidateSources(record, pairsOf(oneWay))).toEqual([
      { destination: 'dst', at: T0 + 5000, sources: ['src'], writerUnknown: true },
    ]);
  });

  it("HeadObject settles it: REPLICA there or a source status in the source completes it; no status there is nobody's replica", () => {
    const record = recordOf([seen('dst', 5)]);
    const after = (event: S3ChangeEvent) => evaluateVersion(applyChange(record, changeFor(event)!), pairsOf(oneWay), opts);
    expect(after(check('dst', 600, 'REPLICA'))).toEqual({
      states: [
        expect.objectContaining({ source: 'src', destination: 'dst', state: 'COMPLETED', latencySeconds: null, withoutSource: true }),
      ],
      unattributed: [],
    });
    expect(after(check('src', 600, 'COMPLETED'))).toEqual({
      states: [
        expect.objectContaining({ source: 'src', destination: 'dst', state: 'COMPLETED', latencySeconds: null, withoutSource: true }),
      ],
      unattributed: [],
    });
    // Someone's own write into the destination, which no rule covers: not a pair's, and no longer unattributed.
    expect(after(check('dst', 600, 'NONE'))).toEqual({ states: [], unattributed: [] });
    // A 404 or a 403 says nothing.
    expect(after(check('dst', 600, 'NOT_FOUND')).unattributed).toHaveLength(1);
    expect(after(check('src', 600, 'FORBIDDEN')).unattributed).toHaveLength(1);
  });

  it('bi-directional: alone it is unattributed; seen in both buckets the earlier one is the origin; a source status makes it pending', () => {
    expect(evaluateVersion(recordOf([seen('a', 1)]), pairsOf(both), opts)).toMatchObject({
      states: [],
      unattributed: [{ destination: 'a' }],
    });
    for (const events of [
      [seen('a', 1), seen('b', 5)],
      [seen('b', 5), seen('a', 1)],
    ]) {
      expect(states(events, both)).toEqual([
        expect.objectContaining({ source: 'a', destination: 'b', state: 'COMPLETED', latencySeconds: 4, withoutSource: false }),
      ]);
    }
    expect(states([seen('a', 1), check('a', 30, 'PENDING')], both, 3600)).toEqual([
      expect.objectContaining({ source: 'a', destination: 'b', state: 'OVERDUE', withoutSource: false }),
    ]);
  });

  it('two destinations complete for both from the events alone (each destination tells its own replica)', () => {
    const pairs: [string, string][] = [
      ['src', 'd1'],
      ['src', 'd2'],
    ];
    expect(states([seen('d2', 7), seen('src', 0), seen('d1', 3)], pairs).map((s) => [s.destination, s.state, s.latencySeconds])).toEqual([
      ['d1', 'COMPLETED', 3],
      ['d2', 'COMPLETED', 7],
    ]);
  });

  it('a CloudTrail event of the same write outranks the unknown one in the slot, whichever came first', () => {
    const firm = write('dst', 5, { byReplication: true, bytes: 64 });
    for (const events of [
      [seen('dst', 5), firm],
      [firm, seen('dst', 5)],
    ]) {
      expect(recordOf(events).slots['w:dst']).toMatchObject({ byReplication: 1 });
      expect(states(events, oneWay)).toEqual([expect.objectContaining({ state: 'COMPLETED', withoutSource: true })]);
    }
  });
});
