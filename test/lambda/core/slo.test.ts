import fc from 'fast-check';
import { SloBuilder, type PairState } from '../../../lambda/core';

const DAY1 = Date.parse('2026-11-20T00:00:00Z');
const DAY2 = Date.parse('2026-11-21T00:00:00Z');
const AT = Date.parse('2026-11-21T12:00:00Z');
const base = { source: 's', destination: 'd', bytes: 1 };

const completed = (key: string, sourceAt: number, latencySeconds: number | null, withoutSource = false): PairState => ({
  ...base,
  key,
  versionId: 'v',
  state: 'COMPLETED',
  sourceAt,
  latencySeconds,
  withoutSource,
});
const failed = (key: string, sourceAt: number, failureReason: string): PairState => ({
  ...base,
  key,
  versionId: 'v',
  state: 'FAILED',
  sourceAt,
  latencySeconds: null,
  failureReason,
});
const pending = (key: string, sourceAt: number): PairState => ({
  ...base,
  key,
  versionId: 'v',
  state: 'PENDING',
  sourceAt,
  latencySeconds: null,
  pendingSeconds: (AT - sourceAt) / 1000,
});

function build(states: readonly PairState[], objectiveSeconds = 900) {
  const builder = new SloBuilder(objectiveSeconds, AT);
  for (const s of states) builder.addState(s);
  return builder.build();
}

describe('the RPO report (slo)', () => {
  it('counts completions by latency (≤ objective is within), failures and long-pending versions as missed, per source-write day', () => {
    const slo = build([
      completed('a', DAY1 + 3_600_000, 900), // exactly the objective: within
      completed('b', DAY1 + 86_399_000, 901), // written 23:59:59, replicated the next day: day 1, missed
      failed('c', DAY1 + 7_200_000, 'DstPutObjectNotPermitted'), // missed; age at AT: 34 h
      completed('d', DAY2 + 60_000, 2),
      pending('e', AT - 901_000), // pending past the objective: missed, its age
      pending('f', AT - 900_000), // still inside: not counted yet
      completed('g', DAY2, null, true), // no source time: never counted
      completed('h', DAY2, null), // HeadObject-only proof, no latency: not counted
      failed('i', DAY2, 'SrcVersionNotFound'), // source deleted: not counted
      failed('j', DAY2, 'DstDelObjNotPermitted'), // a delete marker: not an object version
    ]);
    expect(slo).toEqual({
      objectiveSeconds: 900,
      pairs: [
        {
          source: 's',
          destination: 'd',
          versions: 5,
          withinObjective: 2,
          missedObjective: 3,
          percentWithin: 40,
          worstSeconds: 122_400,
          days: [
            { day: '2026-11-20', versions: 3, withinObjective: 1, missedObjective: 2, percentWithin: 100 / 3, worstSeconds: 122_400 },
            { day: '2026-11-21', versions: 2, withinObjective: 1, missedObjective: 1, percentWithin: 50, worstSeconds: 901 },
          ],
        },
      ],
    });
  });

  it('lists a pair none of whose versions counts yet, with nulls', () => {
    expect(build([pending('p', AT - 1000)]).pairs).toEqual([
      {
        source: 's',
        destination: 'd',
        versions: 0,
        withinObjective: 0,
        missedObjective: 0,
        percentWithin: null,
        worstSeconds: null,
        days: [],
      },
    ]);
  });

  it('does not depend on the order the versions come in', () => {
    const state = fc
      .record({
        key: fc.string({ maxLength: 3 }),
        kind: fc.constantFrom('completed', 'failed', 'pending'),
        offset: fc.integer({ min: 0, max: 2 * 86_400 }),
        latency: fc.integer({ min: 0, max: 3_000 }),
        destination: fc.constantFrom('d1', 'd2'),
      })
      .map(({ key, kind, offset, latency, destination }) => {
        const sourceAt = DAY1 + offset * 1000 - 86_400_000;
        const s =
          kind === 'completed'
            ? completed(key, sourceAt, latency)
            : kind === 'failed'
              ? failed(key, sourceAt, 'X')
              : pending(key, sourceAt);
        return { ...s, destination };
      });
    fc.assert(
      fc.property(fc.array(state, { maxLength: 40 }), fc.integer(), (states, seed) => {
        const shuffled = [...states].sort((a, b) => ((a.sourceAt * 31 + seed) % 7) - ((b.sourceAt * 31 + seed) % 7));
        const one = build(states);
        expect(build(shuffled)).toEqual(one);
        for (const p of one.pairs) {
          expect(p.versions).toBe(p.withinObjective + p.missedObjective);
          expect(p.days.reduce((n, d) => n + d.versions, 0)).toBe(p.versions);
          expect(Math.max(-1, ...p.days.map((d) => d.worstSeconds ?? -1))).toBe(p.worstSeconds ?? -1);
        }
      }),
    );
  });
});
