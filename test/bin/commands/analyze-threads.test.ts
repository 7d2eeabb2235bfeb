/**
 * `analyze --threads N` through the binary: the same stdout (JSON and table) and the same stderr (rejections in
 * input order, the 1,000-line cut included) as `--threads 1`, on inputs that span many pieces per file and every
 * kind of input and of bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateWorkload } from '../../../tools/local-pipeline/workload';
import { ROOT, runCli } from '../../support/run-cli';

const SAMPLES = path.join(ROOT, 'test/fixtures/events');
let dir: string;
let inputs: string[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-analyze-threads-'));
  const events: string[] = [];
  const rules = [
    { source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] },
    { source: 'logs-use1', destinations: ['logs-usw2'] },
    { source: 'photos-euw2', destinations: ['photos-use1'] }, // bi-directional
  ];
  generateWorkload({ objects: 2500, rules, failRate: 0.05, delayRate: 0.05, duplicateRate: 0.2, shuffleWindow: 800, seed: 5 }, (e) =>
    events.push(JSON.stringify(e)),
  );
  // Bad lines among the good ones (2,400 of them: past the 1,000 printed), a blank line and CRLF line ends.
  const lines = events.flatMap((line, i) => (i % 3 === 0 ? [line, `not json ${i}`] : i % 500 === 1 ? [line + '\r', ''] : [line]));
  const big = path.join(dir, 'workload.jsonl'); // ~15 MB: many 1 MiB pieces
  writeFileSync(big, lines.join('\n') + '\n');
  const half = Math.floor(events.length / 2);
  const gz = path.join(dir, 'more.jsonl.gz');
  writeFileSync(gz, gzipSync(events.slice(half).join('\n')));
  const logs = path.join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20');
  mkdirSync(logs, { recursive: true });
  for (let i = 0; i < 6; i++) {
    const records = events
      .slice(i * 300, (i + 1) * 300)
      .map((e) => JSON.parse(e).detail)
      .filter(Boolean);
    writeFileSync(path.join(logs, `log-${i}.json.gz`), gzipSync(JSON.stringify({ Records: records })));
  }
  writeFileSync(path.join(logs, 'broken.json.gz'), gzipSync(readFileSync(path.join(SAMPLES, 'cloudtrail-logfile.json'))).subarray(0, 200));
  const long = path.join(dir, 'long-line.jsonl');
  writeFileSync(long, [events[0], 'x'.repeat(3 * 1024 * 1024), events[1]].join('\n'));
  inputs = ['--max-line-bytes', String(1024 * 1024), long, SAMPLES, big, gz, path.join(dir, 'AWSLogs'), path.join(dir, 'missing.json')];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze --threads', () => {
  it.each([['json'], ['table']])('prints the same %s report and the same rejections, in order, on 1, 2 and 3 threads', async (format) => {
    const runs = [];
    for (const threads of ['1', '2', '3']) runs.push(await runCli(['analyze', '--format', format, '--threads', threads, ...inputs]));
    const [one, ...more] = runs;
    expect(one.code).toBe(0);
    expect(one.stderr).toContain('rejected: ');
    expect(one.stderr).toContain(`${path.join(dir, 'long-line.jsonl')}:2: line longer than 1 MiB; skipped`);
    if (format === 'json') expect(JSON.parse(one.stdout).pairs.length).toBeGreaterThan(3);
    for (const run of more) {
      expect(run.stdout).toBe(one.stdout);
      expect(run.stderr).toBe(one.stderr);
      expect(run.code).toBe(one.code);
    }
  });

  it('takes --threads only as a whole number from 1', async () => {
    for (const bad of ['0', '1.5', 'two', '300']) {
      const { code, stderr } = await runCli(['analyze', '--threads', bad, SAMPLES]);
      expect({ bad, code }).toEqual({ bad, code: 2 });
      expect(stderr).toContain(`--threads ${bad}: expected a whole number from 1 to 256`);
    }
  });
});
