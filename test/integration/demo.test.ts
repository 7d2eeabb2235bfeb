/**
 * `crr-monitor local --events X` drives X through SNS → SQS → drain → DynamoDB and reports from the table;
 * `crr-monitor analyze X` replays X in memory. For the same events they must print the same JSON.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateWorkload } from '../../tools/local-pipeline/workload';
import { ROOT, runCli } from '../support/run-cli';

const SAMPLES = path.join(ROOT, 'test/fixtures/events');

/** The same arguments through `local --events` and `analyze`, both as the real binary. */
async function both(argv: string[]) {
  const local = await runCli(['local', ...argv, '--format', 'json', '--quiet']);
  expect({ code: local.code, err: local.stderr }).toEqual({ code: 0, err: '' });
  const offline = await runCli(['analyze', ...argv.filter((a) => a !== '--events'), '--format', 'json']);
  expect(offline.code).toBe(0);
  return { local: JSON.parse(local.stdout), analyze: JSON.parse(offline.stdout) };
}

test('demo --events and analyze agree on the shared samples', async () => {
  const files = readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(SAMPLES, f));
  const { local, analyze: offline } = await both(['--events', ...files]);
  expect(local).toEqual(offline);
  expect(local.pairs.length).toBeGreaterThan(0);
});

test('demo --events and analyze agree on a generated stream (duplicates, shuffles, failures, overdue, odd keys) with pairs given', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-demo-'));
  const file = path.join(dir, 'events.jsonl');
  const lines: string[] = [];
  generateWorkload(
    {
      objects: 400,
      rules: [
        { source: 'src-one', destinations: ['dst-one', 'dst-two'] },
        { source: 'src-two', destinations: ['dst-three'] },
      ],
      failRate: 0.05,
      delayRate: 0.05,
      seed: 7,
      spacingMillis: 5000,
    },
    (event) => lines.push(JSON.stringify(event)),
  );
  lines.splice(
    10,
    0,
    'not json at all',
    '{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}',
  );
  writeFileSync(file, lines.join('\n') + '\n');
  const argv = [
    '--events',
    file,
    '--pair',
    'src-one=dst-one',
    '--pair',
    'src-one=dst-two',
    '--pair',
    'src-two=dst-three',
    '--overdue-minutes',
    '5',
  ];
  const { local, analyze: offline } = await both(argv);
  rmSync(dir, { recursive: true, force: true });
  expect(local).toEqual(offline);
  expect(local.rejected).toBe(1);
  expect(local.ignored).toBe(1);
  expect(local.overdue.length).toBeGreaterThan(0);
  expect(local.failures.length).toBeGreaterThan(0);
});

test.each(['cloudtrail', 'notifications', 'eventbridge'])(
  'the generated demo (intake %s) exits 0 and reports every configured pair',
  async (intake) => {
    const { code, stdout } = await runCli(['local', '--intake', intake, '--objects', '300', '--format', 'json', '--quiet']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.pairs.map((p: { source: string; destination: string }) => `${p.source}>${p.destination}`)).toEqual([
      'backups-euw2>backups-use1',
      'logs-use1>logs-usw2',
      'photos-use1>photos-apse2',
      'photos-use1>photos-euw2',
    ]);
    const total = report.pairs.reduce(
      (n: number, p: { completed: number; failed: number; pending: number; overdue: number }) =>
        n + p.completed + p.failed + p.pending + p.overdue,
      0,
    );
    expect(total).toBe(400); // 300 objects, one rule in three has two destinations
  },
);
