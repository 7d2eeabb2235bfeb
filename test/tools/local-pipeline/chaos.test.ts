/**
 * `crr-monitor local --chaos RATE --metrics-out FILE` through the real binary: for the same --seed, the report with
 * faults injected (DynamoDB throttling and errors, lost write responses, drain workers dying before acknowledging,
 * sweep runs dying half-way) equals the one without, the published metrics — the drain's and the sweep's — are the
 * same, the ReplicationObjects published per pair equal the report's `completed`, and the sweep's OverdueReplications
 * equal the report's overdue versions per pair. The sweep really works: the harness clock lets every due entry cross,
 * so overdue versions get HeadObject (simulated) and the untracked writes in the workload are published.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';
import type { SweepWrites } from '../../../lambda/adapters/sweep-writes';
import { chaosSweepWrites, noChaos, SweepDied } from '../../../tools/local-pipeline/chaos';

jest.setTimeout(180_000);

interface MetricLine {
  metric: string;
  source: string;
  destination?: string;
  unit: string;
  values: number[];
  counts: number[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-chaos-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One drain worker: a lost response followed by another worker's write to the same version before the resend can still
// leave an outcome unpublished (README, "The drain: outcomes, outages, dead letters"). With concurrent workers that
// race shows up about one run in three at --chaos 0.05; it is a known gap, not something this test may hide by chance.
const local = async (name: string, extra: string[]) => {
  const out = path.join(dir, `${name}-${extra.join('-')}.jsonl`);
  const argv = [
    'local',
    '--objects',
    '250',
    '--seed',
    '11',
    '--workers',
    '1',
    '--untracked-rate',
    '0.02',
    '--format',
    'json',
    '--metrics-out',
    out,
  ];
  const result = await runCli([...argv, ...extra]);
  expect(result.code).toBe(0);
  const { asOf, ...report } = JSON.parse(result.stdout);
  expect(typeof asOf).toBe('string');
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricLine);
  return { report, lines, stderr: result.stderr };
};

// Every intake mode (issue 14): the writes reach the drain as CloudTrail events, S3 notifications or S3 EventBridge events.
describe.each(['cloudtrail', 'notifications', 'eventbridge'])('intake %s', (intake) => {
  test('--chaos 0.05: same report, same metrics; ReplicationObjects per pair = completed', async () => {
    const calm = await local('calm', ['--intake', intake]);
    const chaos = await local('chaos', ['--intake', intake, '--chaos', '0.05']);
    // The faults did happen.
    const injected = /chaos 0\.05: (\d+) throttled, (\d+) server errors, (\d+) lost responses, (\d+) workers died/.exec(chaos.stderr);
    expect(injected).not.toBeNull();
    expect(
      injected!
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0),
    ).toBeGreaterThan(0);
    // The sweep died at least once and was run again. (Its deaths are drawn from their own PRNG seeded by --seed, one
    // draw per write; for --seed 11 the first run dies: another seed may need another value here.)
    const died = /, (\d+) sweep runs died half-way/.exec(chaos.stderr);
    expect(Number(died?.[1])).toBeGreaterThan(0);
    expect(Number(/sweep at \S+ \(run (\d+)\)/.exec(chaos.stderr)?.[1])).toBe(Number(died![1]) + 1);
    expect(chaos.report).toEqual(calm.report);
    expect(chaos.lines).toEqual(calm.lines);
    // The sweep re-checked overdue versions with HeadObject (simulated S3).
    expect(Number(/(\d+) HeadObject re-checks \(simulated S3\)/.exec(calm.stderr)?.[1])).toBeGreaterThan(0);
    for (const p of calm.report.pairs as { source: string; destination: string; completed: number; failed: number }[]) {
      const objects = calm.lines.find((l) => l.metric === 'ReplicationObjects' && l.source === p.source && l.destination === p.destination);
      expect({ pair: `${p.source}>${p.destination}`, published: objects ? objects.counts.reduce((a, b) => a + b, 0) : 0 }).toEqual({
        pair: `${p.source}>${p.destination}`,
        published: p.completed,
      });
    }
    // OverdueReplications: one complete sweep published one gauge per configured pair, the report's overdue count.
    const overdue = calm.report.overdue as { source: string; destination: string }[];
    expect(overdue.length).toBeGreaterThan(0);
    for (const p of calm.report.pairs as { source: string; destination: string }[]) {
      const gauge = calm.lines.filter(
        (l) => l.metric === 'OverdueReplications' && l.source === p.source && l.destination === p.destination,
      );
      expect({ pair: `${p.source}>${p.destination}`, gauge: gauge.map((g) => [g.values, g.counts]) }).toEqual({
        pair: `${p.source}>${p.destination}`,
        gauge: [[[overdue.filter((o) => o.source === p.source && o.destination === p.destination).length], [1]]],
      });
    }
    // UntrackedWrites (per source only): the workload's writes no rule covers, found by the sweep's HeadObject.
    const untracked = calm.lines.filter((l) => l.metric === 'UntrackedWrites');
    expect(untracked.length).toBeGreaterThan(0);
    expect(untracked.every((l) => l.destination === undefined && l.values.every((v) => v === 1))).toBe(true);
    const sweepUntracked = Number(/overdue, (\d+) untracked/.exec(calm.stderr)?.[1]);
    expect(untracked.reduce((n, l) => n + l.counts.reduce((a, b) => a + b, 0), 0)).toBe(sweepUntracked);
    expect(
      calm.lines.every(
        (l) =>
          Object.keys(l).sort().join() ===
          (l.destination === undefined ? 'counts,metric,source,unit,values' : 'counts,destination,metric,source,unit,values'),
      ),
    ).toBe(true);
  });
});

test('a sweep that dies half-way: no write starts after the death, the ones in flight are answered first', async () => {
  const done: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inner: SweepWrites = {
    async check(change) {
      if (change.slot === 'slow') await gate;
      done.push(change.slot);
      return { applied: true };
    },
    async mark(key) {
      done.push(`mark ${key}`);
    },
    async advanceCursor() {
      done.push('cursor');
      return true;
    },
  };
  const draws = [0.9, 0.9, 0.01, 0.9];
  const counts = noChaos();
  const writes = chaosSweepWrites(inner, 0.05, () => draws.shift()!, counts);
  const change = (slot: string) => ({ slot }) as Parameters<SweepWrites['check']>[0];
  await writes.check(change('first'), 't', null);
  const slow = writes.check(change('slow'), 't', null);
  // The third write draws the death: it waits for the slow one in flight, then the function is dead.
  const dying = writes.mark('k', 'v', null);
  let settled = false;
  void dying.catch(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  expect(settled).toBe(false);
  release();
  await expect(slow).resolves.toEqual({ applied: true });
  await expect(dying).rejects.toBeInstanceOf(SweepDied);
  // Dead: nothing starts any more, and no further draw is made.
  await expect(writes.advanceCursor(0, 1)).rejects.toBeInstanceOf(SweepDied);
  expect(done).toEqual(['first', 'slow']);
  expect(counts.sweepsDied).toBe(1);
  expect(draws).toEqual([0.9]);
});
