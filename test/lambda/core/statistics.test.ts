import fc from 'fast-check';
import {
  LATENCY_BUCKET_SECONDS,
  latencyHistogram,
  nearestRank,
  PairStatistics,
  summarizeLatencies,
  type PairState,
} from '../../../lambda/core';

describe('nearest-rank percentiles', () => {
  it('takes the value at rank ceil(q·n) of the ascending list', () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1); // 1..10
    expect(nearestRank(values, 0.5)).toBe(5);
    expect(nearestRank(values, 0.9)).toBe(9);
    expect(nearestRank(values, 0.99)).toBe(10);
    expect(nearestRank([7], 0.5)).toBe(7);
    expect(nearestRank([], 0.5)).toBeNull();
  });

  it('sorts numerically, not as text', () => {
    expect(summarizeLatencies([100, 9, 20, 3])).toEqual({ p50: 9, p90: 100, p99: 100, max: 100 });
  });

  it('every percentile is a member of the list, monotone in q, and at most the max', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 200 }), (values) => {
        const s = summarizeLatencies(values);
        for (const p of [s.p50, s.p90, s.p99]) expect(values).toContain(p);
        expect(s.p50!).toBeLessThanOrEqual(s.p90!);
        expect(s.p90!).toBeLessThanOrEqual(s.p99!);
        expect(s.p99!).toBeLessThanOrEqual(s.max!);
        expect(s.max).toBe(Math.max(...values));
        const below = values.filter((v) => v <= s.p90!).length;
        expect(below).toBeGreaterThanOrEqual(Math.ceil(0.9 * values.length));
      }),
    );
  });
});

describe('PairStatistics', () => {
  const base = { source: 's', destination: 'd', key: 'k', versionId: 'v', sourceAt: 0, bytes: 10 };
  it('counts states, sums bytes of completed versions only, groups FAILED ones by reason, counts the other classes apart, sorts pairs', () => {
    const stats = new PairStatistics();
    const states: PairState[] = [
      { ...base, state: 'COMPLETED', latencySeconds: 4 },
      { ...base, state: 'COMPLETED', latencySeconds: null, bytes: 5, failureReason: 'DstPutTaggingNotPermitted', failureClass: 'metadata' },
      {
        ...base,
        state: 'DELETE_MARKER_FAILED',
        latencySeconds: null,
        failureReason: 'DstDelObjNotPermitted',
        failureClass: 'deleteMarker',
      },
      { ...base, state: 'SOURCE_DELETED', latencySeconds: null, failureReason: 'SrcVersionNotFound', failureClass: 'sourceDeleted' },
      { ...base, state: 'FAILED', latencySeconds: null, failureReason: 'DstKmsKeyNotFound' },
      { ...base, state: 'FAILED', latencySeconds: null, failureReason: 'DstKmsKeyNotFound' },
      { ...base, state: 'PENDING', latencySeconds: null },
      { ...base, state: 'OVERDUE', latencySeconds: null },
      { ...base, source: 'a', state: 'PENDING', latencySeconds: null },
    ];
    states.forEach((s) => stats.add(s));
    const [first, second] = stats.summaries();
    expect(first).toMatchObject({ source: 'a', pending: 1, completed: 0, latencySeconds: { p50: null, max: null } });
    expect(second).toEqual({
      source: 's',
      destination: 'd',
      completed: 2,
      completedWithoutSource: 0,
      failed: 2,
      failedByReason: { DstKmsKeyNotFound: 2 },
      metadataFailed: 1,
      deleteMarkersFailed: 1,
      sourceDeleted: 1,
      pending: 1,
      overdue: 1,
      bytes: 15,
      latencySeconds: { p50: 4, p90: 4, p99: 4, max: 4 },
      latencyHistogram: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
  });

  it('merged from parts fed disjoint states (in any split), gives the summaries of one fed them all', () => {
    const states: PairState[] = [];
    for (let i = 0; i < 60; i++) {
      const kind = (['COMPLETED', 'FAILED', 'PENDING', 'OVERDUE'] as const)[i % 4];
      states.push({
        ...base,
        source: i % 3 === 0 ? 'a' : 's',
        versionId: `v${i}`,
        state: kind,
        latencySeconds: kind === 'COMPLETED' ? (i * 7) % 23 : null,
        failureReason: kind === 'FAILED' ? (i % 8 === 1 ? 'DstKmsKeyNotFound' : 'DstPutObjectNotPermitted') : undefined,
        withoutSource: i % 10 === 0,
      });
    }
    const whole = new PairStatistics();
    states.forEach((s) => whole.add(s));
    for (const parts of [1, 2, 3, 7]) {
      const shares = Array.from({ length: parts }, () => new PairStatistics());
      states.forEach((s, i) => shares[(i * 5) % parts].add(s));
      const merged = new PairStatistics();
      shares.forEach((share) => merged.merge(share.part()));
      expect(merged.summaries()).toEqual(whole.summaries());
    }
  });
});

describe('the latency histogram', () => {
  it('puts each latency in the first bucket whose upper bound (inclusive) holds it, the rest in the last', () => {
    expect(LATENCY_BUCKET_SECONDS).toHaveLength(13);
    const counts = latencyHistogram([0, 1, 1.001, 900, 900.5, 21_600, 21_601, 1e9]);
    expect(counts).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 2]);
  });
});
