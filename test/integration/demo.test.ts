/**
 * `crr-monitor local --events X` drives X through SNS → SQS → drain → DynamoDB and reports from the table;
 * `crr-monitor analyze X` replays X in memory. For the same events they must print the same JSON.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../bin/cli/analyze';
import { runLocal } from '../../bin/cli/local';
import { parseArguments } from '../../bin/cli/options';
import { generateWorkload } from '../../bin/cli/workload';

const SAMPLES = '/work/shared/events';

async function both(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runLocal([...argv, '--format', 'json', '--quiet'], { out: (t) => (out += t), err: (t) => (err += t) });
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const { report: options, paths } = parseArguments([...argv.filter((a) => a !== '--events'), '--format', 'json']);
  const offline = await analyze(paths, options, () => undefined);
  return { local: JSON.parse(out), analyze: JSON.parse(JSON.stringify(offline.report)) };
}

test('demo --events and analyze agree on the shared samples', async () => {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).map((f) => path.join(SAMPLES, f));
  const { local, analyze: offline } = await both(['--events', ...files]);
  expect(local).toEqual(offline);
  expect(local.pairs.length).toBeGreaterThan(0);
});

test('demo --events and analyze agree on a generated stream (duplicates, shuffles, failures, overdue, odd keys) with pairs given', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-demo-'));
  const file = path.join(dir, 'events.jsonl');
  const lines: string[] = [];
  generateWorkload(
    { objects: 400, rules: [{ source: 'src-one', destinations: ['dst-one', 'dst-two'] }, { source: 'src-two', destinations: ['dst-three'] }], failRate: 0.05, delayRate: 0.05, seed: 7, spacingMillis: 5000 },
    (event) => lines.push(JSON.stringify(event)),
  );
  lines.splice(10, 0, 'not json at all', '{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}');
  writeFileSync(file, lines.join('\n') + '\n');
  const argv = ['--events', file, '--pair', 'src-one=dst-one', '--pair', 'src-one=dst-two', '--pair', 'src-two=dst-three', '--overdue-minutes', '5'];
  const { local, analyze: offline } = await both(argv);
  expect(local).toEqual(offline);
  expect(local.rejected).toBe(1);
  expect(local.ignored).toBe(1);
  expect(local.overdue.length).toBeGreaterThan(0);
  expect(local.failures.length).toBeGreaterThan(0);
});

test('the generated demo exits 0 and reports every configured pair', async () => {
  let out = '';
  const code = await runLocal(['--objects', '300', '--format', 'json', '--quiet'], { out: (t) => (out += t), err: () => undefined });
  expect(code).toBe(0);
  const report = JSON.parse(out);
  expect(report.pairs.map((p: { source: string; destination: string }) => `${p.source}>${p.destination}`)).toEqual([
    'backups-euw2>backups-use1',
    'logs-use1>logs-usw2',
    'photos-use1>photos-apse2',
    'photos-use1>photos-euw2',
  ]);
  const total = report.pairs.reduce((n: number, p: { completed: number; failed: number; pending: number; overdue: number }) => n + p.completed + p.failed + p.pending + p.overdue, 0);
  expect(total).toBe(400); // 300 objects, one rule in three has two destinations
});
