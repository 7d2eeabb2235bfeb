import fc from 'fast-check';
import {
  applyChange,
  changeFor,
  evaluateRecord,
  indexPairs,
  reportOnRecords,
  type S3ChangeEvent,
  type VersionRecord,
} from '../../../lambda/core';
import { outcomesOf, type Outcome } from '../../../lambda/core/outcomes';

/**
 * outcomesOf, step by step over a delivery (before = the record, after = applyChange): the outcomes summed over
 * every step must equal the final report, whatever the order of arrival and however often events repeat.
 *
 * The streams are drawn from a ground truth (what S3 did to each version and destination), so that every event is
 * one S3 could send about it: replicas after their source, failure notices only for destinations that failed,
 * HeadObject checks that agree with the final truth.
 */
const PAIRS = [
  { source: 'src-a', destination: 'dst-1' },
  { source: 'src-a', destination: 'dst-2' },
  { source: 'src-b', destination: 'dst-1' },
  { source: 'dst-2', destination: 'src-a' }, // src-a ↔ dst-2 is bi-directional
];
const PAIR_INDEX = indexPairs(PAIRS);
const T0 = Date.parse('2026-11-20T10:00:00Z');

type Fate = 'replicated' | 'failed' | 'failedThenRedriven' | 'pending';

const versionArb = fc.record({
  source: fc.constantFrom('src-a', 'src-b'),
  key: fc.constantFrom('k', 'a b+c', 'ü/写真 %2B'),
  at: fc.integer({ min: 0, max: 600 }),
  bytes: fc.integer({ min: 0, max: 10_000 }),
  untracked: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  sourceSeen: fc.boolean(),
  fates: fc.array(fc.constantFrom<Fate>('replicated', 'failed', 'failedThenRedriven', 'pending'), { minLength: 2, maxLength: 2 }),
  delays: fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 2, maxLength: 2 }),
  replicaSeen: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  check: fc.boolean(),
});

type Truth = typeof versionArb extends fc.Arbitrary<infer T> ? T : never;

/** Every event S3 and CloudTrail could deliver about one version of this truth. */
function eventsOf(v: Truth, index: number): S3ChangeEvent[] {
  const sourceAt = T0 + v.at * 1000;
  const events: S3ChangeEvent[] = [];
  // S3 gives every write its own version ID; keys repeat across versions.
  const base = { key: v.key, versionId: `v${index}` };
  if (v.sourceSeen || v.untracked) {
    events.push({ type: 'write', bucket: v.source, ...base, at: sourceAt, operation: 'PutObject', bytes: v.bytes, byReplication: false });
  }
  if (v.untracked) {
    // No rule covers it: no replica, no notice, and HeadObject shows no replication status.
    events.push({ type: 'check', bucket: v.source, ...base, at: sourceAt + 3_600_000, status: 'NONE' });
    return events;
  }
  const destinations = PAIR_INDEX.get(v.source)!;
  const fates = destinations.map((_, i) => v.fates[i]);
  destinations.forEach((destination, i) => {
    const at = sourceAt + v.delays[i] * 1000;
    const fate = fates[i];
    if (fate === 'failed' || fate === 'failedThenRedriven') {
      events.push({
        type: 'replication',
        notice: 'OperationFailedReplication',
        bucket: v.source,
        ...base,
        destination,
        at,
        requestedAt: sourceAt,
        failureReason: 'DstKmsKeyNotFound',
      });
    }
    // A redriven replica is always logged here: without it only a later HeadObject could tell, which is the sweep's job.
    if (fate === 'replicated' && v.replicaSeen[i]) {
      events.push({ type: 'write', bucket: destination, ...base, at, operation: 'PutObject', bytes: v.bytes, byReplication: true });
    }
    if (fate === 'failedThenRedriven') {
      events.push({
        type: 'write',
        bucket: destination,
        ...base,
        at: at + 60_000,
        operation: 'PutObject',
        bytes: v.bytes,
        byReplication: true,
      });
    }
  });
  if (v.check && !fates.includes('failedThenRedriven')) {
    // The aggregate status S3 shows once everything has happened.
    const status = fates.includes('failed') ? 'FAILED' : fates.every((f) => f === 'replicated') ? 'COMPLETED' : 'PENDING';
    events.push({ type: 'check', bucket: v.source, ...base, at: sourceAt + 3_600_000, status });
  }
  return events;
}

const deliveryArb = fc.array(versionArb, { minLength: 1, maxLength: 8 }).chain((versions) => {
  const events = versions.flatMap(eventsOf);
  if (events.length === 0) return fc.constant([] as S3ChangeEvent[]);
  return fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 15 })
    .chain((repeats) => fc.shuffledSubarray([...events, ...repeats.map((i) => events[i])], { minLength: events.length + repeats.length }));
});

/** Replays a delivery as the drain does, collecting the outcomes of every step. */
function drain(events: readonly S3ChangeEvent[]): { records: Map<string, VersionRecord>; outcomes: Outcome[] } {
  const records = new Map<string, VersionRecord>();
  const outcomes: Outcome[] = [];
  for (const event of events) {
    const change = changeFor(event);
    if (!change) continue;
    const id = `${change.key}\u0000${change.versionId}`;
    const before = records.get(id);
    const after = applyChange(before, change);
    outcomes.push(...outcomesOf(before, after, PAIR_INDEX));
    records.set(id, after);
  }
  return { records, outcomes };
}

const count = (outcomes: Outcome[], pair: string, test: (o: Outcome) => boolean) =>
  outcomes.filter((o) => `${o.source}>${o.destination}` === pair && test(o)).length;

describe('outcomesOf', () => {
  it('summed over every step equals the final report, whatever the order and duplicates', () => {
    fc.assert(
      fc.property(deliveryArb, (delivered) => {
        const { records, outcomes } = drain(delivered);
        const { report } = reportOnRecords(
          () => records.values(),
          { pairs: PAIRS, overdueMillis: 900_000, at: T0, fallbackAt: 0 },
          { rejected: 0, ignored: 0 },
        );
        const failedThenCompleted = new Set<string>();
        const failedSeen = new Set<string>();
        for (const o of outcomes) {
          const id = `${o.source}>${o.destination}|${o.key}|${o.versionId}`;
          if (o.kind === 'failed') failedSeen.add(id);
          if (o.kind === 'completed' && failedSeen.has(id)) failedThenCompleted.add(id);
        }
        for (const p of report.pairs) {
          const pair = `${p.source}>${p.destination}`;
          expect(count(outcomes, pair, (o) => o.kind === 'completed')).toBe(p.completed);
          // A FAILED version that later completes published both: its failure, then its completion.
          const reverted = [...failedThenCompleted].filter((id) => id.startsWith(pair + '|')).length;
          expect(count(outcomes, pair, (o) => o.kind === 'failed') - reverted).toBe(p.failed);
          // The completions published are the report's versions: their final sizes add up to the report's bytes.
          // A size learned only after the completion (a replica event after HeadObject proved it) is not republished.
          const completions = outcomes.filter((o) => `${o.source}>${o.destination}` === pair && o.kind === 'completed');
          const finalBytes = completions.reduce((sum, o) => sum + finalState(records, o).bytes, 0);
          expect(finalBytes).toBe(p.bytes);
          expect(completions.reduce((sum, o) => sum + o.bytes, 0)).toBeLessThanOrEqual(p.bytes);
        }
        // Every completed pair with a latency published exactly one latency value (at completion, or later once).
        const withLatency = [...records.values()].flatMap((r) =>
          reportStates(r).filter((s) => s.state === 'COMPLETED' && s.latencySeconds !== null),
        );
        const published = outcomes.filter((o) => (o.kind === 'completed' || o.kind === 'latency') && o.latencySeconds !== null);
        expect(published.length).toBe(withLatency.length);
        // Untracked: once per source version whose HeadObject shows no replication status.
        const untracked = [...records.values()].filter((r) =>
          Object.entries(r.slots).some(([n, s]) => n.startsWith('c:') && s.what === 'NONE'),
        );
        expect(outcomes.filter((o) => o.kind === 'untracked').length).toBe(untracked.length);
      }),
      { numRuns: 400 },
    );
  });

  it('a write that changes nothing yields nothing (redelivery, duplicates)', () => {
    fc.assert(
      fc.property(deliveryArb, (delivered) => {
        const { records } = drain(delivered);
        for (const event of delivered) {
          const change = changeFor(event);
          if (!change) continue;
          const record = records.get(`${change.key}\u0000${change.versionId}`)!;
          expect(outcomesOf(record, applyChange(record, change), PAIR_INDEX)).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const finalState = (records: Map<string, VersionRecord>, o: Outcome) =>
  reportStates(records.get(`${o.key}\u0000${o.versionId}`)!).find((s) => s.destination === o.destination)!;
const reportStates = (r: VersionRecord) => evaluateRecord(r, PAIR_INDEX, { at: T0, overdueMillis: 900_000 });

describe('outcomesOf, single transitions', () => {
  const key = 'k';
  const versionId = 'v';
  const write = (bucket: string, at: number, byReplication = false): S3ChangeEvent => ({
    type: 'write',
    bucket,
    key,
    versionId,
    at: T0 + at,
    operation: 'PutObject',
    bytes: 100,
    byReplication,
  });
  const step = (events: S3ChangeEvent[], next: S3ChangeEvent) => {
    const { records } = drain(events);
    const before = records.get(`${key}\u0000${versionId}`);
    return outcomesOf(before, applyChange(before, changeFor(next)!), PAIR_INDEX);
  };

  test('the replica after its source completes the pair with its latency and bytes', () => {
    expect(step([write('src-b', 0)], write('dst-1', 7000, true))).toEqual([
      { kind: 'completed', source: 'src-b', destination: 'dst-1', key, versionId, latencySeconds: 7, bytes: 100 },
    ]);
  });

  test('a failure notice fails the pair with its reason; the replica arriving later publishes the completion', () => {
    const notice: S3ChangeEvent = {
      type: 'replication',
      notice: 'OperationFailedReplication',
      bucket: 'src-b',
      key,
      versionId,
      destination: 'dst-1',
      at: T0 + 5000,
      failureReason: 'DstPutObjectNotPermitted',
    };
    expect(step([write('src-b', 0)], notice)).toMatchObject([
      { kind: 'failed', failureReason: 'DstPutObjectNotPermitted', latencySeconds: null },
    ]);
    expect(step([write('src-b', 0), notice], write('dst-1', 9000, true))).toMatchObject([{ kind: 'completed', latencySeconds: 9 }]);
  });

  test('completed by HeadObject (no latency), then the replica event: latency only', () => {
    const check: S3ChangeEvent = { type: 'check', bucket: 'src-b', key, versionId, at: T0 + 60_000, status: 'COMPLETED' };
    expect(step([write('src-b', 0)], check)).toMatchObject([{ kind: 'completed', latencySeconds: null }]);
    expect(step([write('src-b', 0), check], write('dst-1', 4000, true))).toMatchObject([
      { kind: 'latency', latencySeconds: 4, bytes: 100 },
    ]);
  });

  test('HeadObject shows no replication status: untracked, for the source only', () => {
    const check: S3ChangeEvent = { type: 'check', bucket: 'src-b', key, versionId, at: T0 + 60_000, status: 'NONE' };
    expect(step([write('src-b', 0)], check)).toEqual([
      { kind: 'untracked', source: 'src-b', key, versionId, latencySeconds: null, bytes: 100 },
    ]);
  });

  test('a PENDING check or a pending source write decides nothing', () => {
    expect(step([], write('src-b', 0))).toEqual([]);
    expect(step([write('src-b', 0)], { type: 'check', bucket: 'src-b', key, versionId, at: T0 + 60_000, status: 'PENDING' })).toEqual([]);
  });
});
