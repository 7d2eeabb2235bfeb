/**
 * `crr-monitor local --serve` through the real binary: after its run the table stays reachable at the printed
 * endpoint (with AWS_ENDPOINT_URL, as `status` and `redrive` will use it), and SIGTERM stops it all, exit 0.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, spawnCli } from '../../support/run-cli';

const SERVING = /^serving endpoint=(\S+) table=(\S+) region=(\S+) sqs=(\S+) sns=(\S+)$/m;

/** Whether something accepts connections on the URL's port. */
const listening = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

test('local --serve keeps the table up at the printed endpoint until SIGTERM, then stops the emulators and exits 0', async () => {
  const child = spawnCli(['local', '--objects', '40', '--workers', '2', '--quiet', '--serve', '--format', 'json']);
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const found = SERVING.exec(stderr);
      if (found) resolve(found);
    });
    void closed.then(({ code }) => reject(new Error(`exited (${code}) before serving: ${stderr}`)));
  });
  const [, endpoint, table, region, sqs] = match;
  const report = JSON.parse(stdout);
  try {
    expect(region).toBe('us-east-1');
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint;
    try {
      // No endpoint in the code: the SDK takes it from AWS_ENDPOINT_URL, as an operator's shell would give it.
      const client = new DynamoDBClient({ region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const scan = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT' }));
      expect(report.pairs).toHaveLength(4); // the report was printed before serving
      expect(scan.Count).toBe(41); // one item per source version, and the sweep's cursor
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
    expect(await listening(sqs)).toBe(true);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await closed).toEqual({ code: 0, signal: null });
  expect(await listening(endpoint)).toBe(false);
  expect(await listening(sqs)).toBe(false);
});

test('local --help names --serve, and local rejects a value given to it', async () => {
  const help = await runCli(['local', '--help']);
  expect(help.stdout).toContain('--serve');
  const bad = await runCli(['local', '--serve=yes']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("Option '--serve' does not take an argument");
});

describe('local: untracked writes (issue 8 item 5)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crr-untracked-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const UNTRACKED_LINE = /^untracked writes: (.*)$/m;
  const parseLine = (line: string) =>
    line === 'none' ? [] : line.split(', ').map((part) => ({ source: part.split(' ')[0], count: Number(part.split(' ')[1]) }));

  test('the table and a stderr line show what the sweep published as UntrackedWrites per source; --metrics-out has the same', async () => {
    const out = path.join(dir, 'metrics.jsonl');
    const args = ['local', '--objects', '120', '--seed', '5', '--workers', '2', '--untracked-rate', '0.25', '--metrics-out', out];
    const result = await runCli(args);
    expect(result.code).toBe(0);
    const fromStderr = parseLine(UNTRACKED_LINE.exec(result.stderr)![1]);
    type Line = { metric: string; source: string; destination?: string; counts: number[] };
    const published = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.metric === 'UntrackedWrites')
      .map((l) => ({ source: l.source, count: l.counts.reduce((a, b) => a + b, 0), destination: l.destination }));
    expect(published.every((p) => p.destination === undefined)).toBe(true); // dimension SourceBucket only
    expect(fromStderr).toEqual(published.map(({ source, count }) => ({ source, count })).sort((a, b) => (a.source < b.source ? -1 : 1)));
    expect(fromStderr.reduce((n, u) => n + u.count, 0)).toBeGreaterThan(0);
    const section = result.stdout.slice(result.stdout.indexOf('Untracked writes'));
    for (const { source, count } of fromStderr) expect(section).toMatch(new RegExp(`^${source}\\s+${count}$`, 'm'));
  });

  test('no untracked field in the JSON report (analyze cannot know it); the stderr line has it; none without; --quiet: no line', async () => {
    const [json, none, quiet] = await Promise.all([
      runCli(['local', '--objects', '120', '--seed', '5', '--workers', '2', '--untracked-rate', '0.25', '--format', 'json']),
      runCli(['local', '--objects', '40', '--seed', '5', '--workers', '2']),
      runCli(['local', '--objects', '40', '--seed', '5', '--workers', '2', '--untracked-rate', '0.25', '--quiet']),
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(UNTRACKED_LINE);
    expect(json.code).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout))).not.toContain('untracked');
    expect(parseLine(UNTRACKED_LINE.exec(json.stderr)![1]).length).toBeGreaterThan(0);
    expect(none.code).toBe(0);
    expect(UNTRACKED_LINE.exec(none.stderr)![1]).toBe('none');
    expect(none.stdout).toContain('Untracked writes (no replication rule covers them, per HeadObject): none');
  });
});
