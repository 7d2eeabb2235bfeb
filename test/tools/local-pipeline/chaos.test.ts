/**
 * `crr-monitor local --chaos RATE --metrics-out FILE` through the real binary: for the same --seed, the report with
 * faults injected (DynamoDB throttling and errors, lost write responses, drain workers dying before acknowledging)
 * equals the one without, the published metrics are the same, and the ReplicationObjects published per pair equal
 * the report's `completed`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';

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

const local = async (name: string, extra: string[]) => {
  const out = path.join(dir, `${name}.jsonl`);
  const result = await runCli(['local', '--objects', '250', '--seed', '11', '--format', 'json', '--metrics-out', out, ...extra]);
  expect(result.code).toBe(0);
  const { asOf, ...report } = JSON.parse(result.stdout);
  expect(typeof asOf).toBe('string');
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricLine);
  return { report, lines, stderr: result.stderr };
};

test('--chaos 0.05: same report, same metrics; ReplicationObjects per pair = completed', async () => {
  const calm = await local('calm', []);
  const chaos = await local('chaos', ['--chaos', '0.05']);
  // The faults did happen.
  const injected = /chaos 0\.05: (\d+) throttled, (\d+) server errors, (\d+) lost responses, (\d+) workers died/.exec(chaos.stderr);
  expect(injected).not.toBeNull();
  expect(
    injected!
      .slice(1)
      .map(Number)
      .reduce((a, b) => a + b, 0),
  ).toBeGreaterThan(0);
  expect(chaos.report).toEqual(calm.report);
  expect(chaos.lines).toEqual(calm.lines);
  for (const p of calm.report.pairs as { source: string; destination: string; completed: number; failed: number }[]) {
    const objects = calm.lines.find((l) => l.metric === 'ReplicationObjects' && l.source === p.source && l.destination === p.destination);
    expect({ pair: `${p.source}>${p.destination}`, published: objects ? objects.counts.reduce((a, b) => a + b, 0) : 0 }).toEqual({
      pair: `${p.source}>${p.destination}`,
      published: p.completed,
    });
  }
  expect(
    calm.lines.every(
      (l) =>
        Object.keys(l).sort().join() ===
        (l.destination === undefined ? 'counts,metric,source,unit,values' : 'counts,destination,metric,source,unit,values'),
    ),
  ).toBe(true);
});
