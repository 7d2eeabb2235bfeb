/**
 * The core's reading of HeadObject checks (issue 8.3/8.4): `c:<dest>` REPLICA proves that destination, a FAILED
 * aggregate on a multi-destination source fails only destinations shown lacking the replica, COMPLETE = COMPLETED,
 * UNKNOWN keeps the version pending. Property: the verdict does not depend on the order the checks were recorded in.
 */
import fc from 'fast-check';
import {
  applyChange,
  changeFor,
  evaluateRecord,
  indexPairs,
  type CheckOutcome,
  type SlotChange,
  type VersionRecord,
} from '../../../lambda/core';

const T = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;
const multi = indexPairs([
  { source: 's', destination: 'a' },
  { source: 's', destination: 'b' },
]);
const single = indexPairs([{ source: 's', destination: 'a' }]);
const at = { at: T + 30 * MIN, overdueMillis: 15 * MIN };

const write = (bucket: string, time: number, byReplication = false) =>
  changeFor({ type: 'write', bucket, key: 'k', versionId: 'v', at: time, operation: 'PutObject', bytes: 10, byReplication })!;
const check = (bucket: string, status: CheckOutcome | 'COMPLETE', time = T + 20 * MIN) =>
  changeFor({ type: 'check', bucket, key: 'k', versionId: 'v', at: time, status: status as CheckOutcome })!;
const fold = (changes: SlotChange[]): VersionRecord => changes.reduce<VersionRecord | undefined>((r, c) => applyChange(r, c), undefined)!;
const states = (record: VersionRecord, pairs = multi) =>
  Object.fromEntries(evaluateRecord(record, pairs, at).map((s) => [s.destination, s.state]));

test('REPLICA in a destination completes that pair without a latency, even with the source aggregate FAILED', () => {
  const record = fold([write('s', T), check('s', 'FAILED'), check('b', 'REPLICA')]);
  expect(states(record)).toEqual({ a: 'OVERDUE', b: 'COMPLETED' });
  expect(evaluateRecord(record, multi, at).find((s) => s.destination === 'b')!.latencySeconds).toBeNull();
});

test('a FAILED aggregate fails a destination HeadObject found without the version; unchecked ones stay undecided', () => {
  expect(states(fold([write('s', T), check('s', 'FAILED'), check('a', 'NOT_FOUND'), check('b', 'REPLICA')]))).toEqual({
    a: 'FAILED',
    b: 'COMPLETED',
  });
  expect(states(fold([write('s', T), check('s', 'FAILED'), check('a', 'FORBIDDEN')]))).toEqual({ a: 'OVERDUE', b: 'OVERDUE' });
  // With one destination the aggregate is that destination's own status.
  expect(states(fold([write('s', T), check('s', 'FAILED')]), single)).toEqual({ a: 'FAILED' });
  // A replica event wins over any aggregate.
  expect(states(fold([write('s', T), check('s', 'FAILED'), write('a', T + 1000, true), check('b', 'NOT_FOUND')]))).toEqual({
    a: 'COMPLETED',
    b: 'FAILED',
  });
});

test('COMPLETE reads as COMPLETED; UNKNOWN keeps the version pending (never untracked)', () => {
  expect(states(fold([write('s', T), check('s', 'COMPLETE')]))).toEqual({ a: 'COMPLETED', b: 'COMPLETED' });
  expect(states(fold([write('s', T), check('s', 'UNKNOWN')]))).toEqual({ a: 'OVERDUE', b: 'OVERDUE' });
  expect(states(fold([write('s', T + 25 * MIN), check('s', 'UNKNOWN')]))).toEqual({ a: 'PENDING', b: 'PENDING' });
});

test('property: the verdict of a set of checks and events does not depend on their order or repetition', () => {
  const pool: SlotChange[] = [
    write('s', T),
    write('a', T + 2000, true),
    check('s', 'FAILED'),
    check('s', 'PENDING', T + 25 * MIN),
    check('a', 'NOT_FOUND'),
    check('b', 'REPLICA'),
    check('b', 'NOT_FOUND', T + 26 * MIN),
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 20 }), (changes) => {
      const forward = fold(changes);
      const backward = fold([...changes].reverse().concat(changes));
      expect(evaluateRecord(backward, multi, at)).toEqual(evaluateRecord(forward, multi, at));
    }),
  );
});
