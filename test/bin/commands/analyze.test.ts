import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ReplicationReport } from '../../../lambda/core';
import { eventBridgeWrite, replicationNotification } from '../../../tools/local-pipeline/events';
import { generateWorkload } from '../../../tools/local-pipeline/workload';
import { ROOT, runCli as run } from '../../support/run-cli';

const SAMPLES = path.join(ROOT, 'test/fixtures/events');

/** `analyze --format json` through the binary: the report, and stderr as lines. */
async function analyzeJson(args: string[]): Promise<{ code: number | null; report: ReplicationReport; warnings: string[] }> {
  const { code, stdout, stderr } = await run(['analyze', '--format', 'json', ...args]);
  return { code, report: JSON.parse(stdout) as ReplicationReport, warnings: stderr.split('\n').filter((l) => l !== '') };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-analyze-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crr-monitor analyze (the command)', () => {
  it('reports the shipped samples as exactly the documented JSON', async () => {
    const { code, stdout, stderr } = await run(['analyze', '--format', 'json', SAMPLES]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual<ReplicationReport>({
      asOf: '2026-11-20T10:17:05.012Z',
      pairs: [
        {
          source: 'photos-use1',
          destination: 'photos-euw2',
          completed: 1,
          completedWithoutSource: 0,
          failed: 0,
          metadataFailed: 0,
          deleteMarkersFailed: 0,
          sourceDeleted: 0,
          pending: 1,
          overdue: 0,
          bytes: 48213,
          latencySeconds: { p50: 13, p90: 13, p99: 13, max: 13 },
        },
      ],
      failures: [],
      overdue: [],
      unattributed: 0,
      rejected: 0,
      ignored: 0,
      // The multipart upload is pending inside the objective: not counted yet.
      slo: {
        objectiveSeconds: 900,
        pairs: [
          {
            source: 'photos-use1',
            destination: 'photos-euw2',
            versions: 1,
            withinObjective: 1,
            missedObjective: 0,
            percentWithin: 100,
            worstSeconds: 13,
            days: [{ day: '2026-11-20', versions: 1, withinObjective: 1, missedObjective: 0, percentWithin: 100, worstSeconds: 13 }],
          },
        ],
      },
    });
  });

  it('marks the multipart upload overdue at a later --at, and prints a table for people', async () => {
    const { code, stdout } = await run([
      'analyze',
      '--pair',
      'photos-use1=photos-euw2',
      '--at',
      '2026-11-20T11:00:00Z',
      path.join(SAMPLES, 'cloudtrail-logfile.json'),
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/photos-use1\s+photos-euw2\s+1\s+0\s+0\s+1\s+47\.1 KiB\s+13s/);
    expect(stdout).toContain('Overdue replications (1):');
    expect(stdout).toContain('video/raw/holiday.mov');
  });

  it('exits 2 with the usage on a usage error, and when no input could be read', async () => {
    const usage = await run(['analyze', '--pair', 'Bad_Bucket=x', SAMPLES]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("'Bad_Bucket' is not a valid S3 bucket name");
    expect((await run(['analyze'])).code).toBe(2);
    expect((await run(['analyze', '--format', 'xml', SAMPLES])).code).toBe(2);
    const missing = await run(['analyze', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: no such file or directory');
  });
});

describe('analyze: the RPO report (--slo-minutes)', () => {
  const SRC = 'photos-use1';
  const DST = 'photos-euw2';
  const t = (iso: string) => Date.parse(iso);
  /** A version written to SRC at `at`, with its replica `latency` seconds later (none when null). */
  const version = (key: string, at: string, latency: number | null) => [
    eventBridgeWrite({ bucket: SRC, key, versionId: `v-${key}`, at: t(at), bytes: 10 }),
    ...(latency === null
      ? []
      : [eventBridgeWrite({ bucket: DST, key, versionId: `v-${key}`, at: t(at) + latency * 1000, bytes: 10, byReplication: true })]),
  ];
  // Two UTC days of source writes, evaluated at 2026-11-21T12:00Z.
  const events = [
    ...version('day1/fast', '2026-11-20T10:00:00Z', 60),
    ...version('day1/at-midnight', '2026-11-20T23:50:00Z', 900), // replicated on day 2, exactly 15 min: day 1, within
    ...version('day1/slow', '2026-11-20T12:00:00Z', 1200),
    ...version('day1/failed', '2026-11-20T13:00:00Z', null),
    replicationNotification({
      source: SRC,
      destination: DST,
      key: 'day1/failed',
      versionId: 'v-day1/failed',
      at: t('2026-11-20T13:01:00Z'),
      reason: 'DstPutObjectNotPermitted',
    }),
    ...version('day1/deleted', '2026-11-20T14:00:00Z', null),
    replicationNotification({
      source: SRC,
      destination: DST,
      key: 'day1/deleted',
      versionId: 'v-day1/deleted',
      at: t('2026-11-20T14:01:00Z'),
      reason: 'SrcObjectNotFound',
    }),
    eventBridgeWrite({
      bucket: DST,
      key: 'day1/replica-only',
      versionId: 'v-r',
      at: t('2026-11-20T15:00:00Z'),
      bytes: 1,
      byReplication: true,
    }),
    ...version('day2/a', '2026-11-21T00:10:00Z', 30),
    ...version('day2/b', '2026-11-21T09:00:00Z', 5),
    ...version('day2/c', '2026-11-21T09:30:00Z', 10),
    ...version('day2/just-late', '2026-11-21T10:00:00Z', 901),
    ...version('day2/pending-long', '2026-11-21T11:00:00Z', null), // 3600 s pending: missed
    ...version('day2/pending-short', '2026-11-21T11:50:00Z', null), // 600 s pending: not counted yet
  ];
  const twoDaysFile = () => {
    const file = path.join(dir, 'two-days.jsonl');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    return file;
  };
  const twoDays = async (...extra: string[]) => {
    const file = twoDaysFile();
    return analyzeJson(['--pair', `${SRC}=${DST}`, '--at', '2026-11-21T12:00:00Z', ...extra, file]);
  };

  it('gives exact figures per UTC day of the source write and per pair', async () => {
    const { code, report, warnings } = await twoDays('--slo-minutes', '15');
    expect([code, warnings]).toEqual([0, []]);
    expect(report.slo).toEqual({
      objectiveSeconds: 900,
      pairs: [
        {
          source: SRC,
          destination: DST,
          versions: 9,
          withinObjective: 5,
          missedObjective: 4,
          percentWithin: (100 * 5) / 9,
          worstSeconds: 82_800, // day1/failed: 23 h old at --at and still without a replica
          days: [
            { day: '2026-11-20', versions: 4, withinObjective: 2, missedObjective: 2, percentWithin: 50, worstSeconds: 82_800 },
            { day: '2026-11-21', versions: 5, withinObjective: 3, missedObjective: 2, percentWithin: 60, worstSeconds: 3600 },
          ],
        },
      ],
    });
  });

  it('takes the objective from --slo-minutes, else the config, else the overdue threshold', async () => {
    const twenty = (await twoDays('--slo-minutes', '20')).report.slo;
    expect(twenty.objectiveSeconds).toBe(1200);
    expect(twenty.pairs[0].days).toEqual([
      { day: '2026-11-20', versions: 4, withinObjective: 3, missedObjective: 1, percentWithin: 75, worstSeconds: 82_800 },
      { day: '2026-11-21', versions: 5, withinObjective: 4, missedObjective: 1, percentWithin: 80, worstSeconds: 3600 },
    ]);
    expect((await twoDays()).report.slo.objectiveSeconds).toBe(900);
    expect((await twoDays('--overdue-minutes', '30')).report.slo.objectiveSeconds).toBe(1800);
    const config = path.join(dir, 'slo-config.json');
    writeFileSync(
      config,
      JSON.stringify({ monitorRegion: 'us-east-1', replication: [{ source: SRC, destinations: [DST] }], sloMinutes: 5 }),
    );
    expect((await twoDays('--config', config)).report.slo.objectiveSeconds).toBe(300);
    expect((await twoDays('--config', config, '--slo-minutes', '1.5')).report.slo.objectiveSeconds).toBe(90);
    const bad = await run(['analyze', '--slo-minutes', '0', SAMPLES]);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'crr-monitor: --slo-minutes 0: expected a positive number']);
  });

  it('prints an RPO section in the table', async () => {
    const { stdout } = await run(['analyze', '--pair', `${SRC}=${DST}`, '--at', '2026-11-21T12:00:00Z', twoDaysFile()]);
    expect(stdout).toContain('RPO: replicated within 900s of the source write');
    expect(stdout).toMatch(/photos-use1\s+photos-euw2\s+all days\s+9\s+5\s+4\s+55\.555%\s+82800s/);
    expect(stdout).toMatch(/\n\s+2026-11-20\s+4\s+2\s+2\s+50%\s+82800s\n\s+2026-11-21\s+5\s+3\s+2\s+60%\s+3600s\n/);
  });
});

describe('analyze: bad input never stops the run', () => {
  it('counts and names each corrupt line, truncated gzip, wrong shape and missing file, and analyses the rest', async () => {
    const source = readFileSync(path.join(SAMPLES, 'eventbridge-putobject-source.json'), 'utf8');
    const replica = readFileSync(path.join(SAMPLES, 'eventbridge-putobject-replica.json'), 'utf8');
    const lines = path.join(dir, 'mixed.jsonl');
    writeFileSync(
      lines,
      [
        JSON.stringify(JSON.parse(source)),
        '{"truncated": ',
        '',
        '{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":[]}',
        JSON.stringify(JSON.parse(replica)),
      ].join('\n'),
    );
    const truncated = path.join(dir, 'broken.json.gz');
    const gz = gzipSync(readFileSync(path.join(SAMPLES, 'cloudtrail-logfile.json')));
    writeFileSync(truncated, gz.subarray(0, gz.length - 40));
    const result = await analyzeJson([lines, truncated, path.join(dir, 'missing.jsonl')]);
    const warnings = result.warnings;
    expect(result.code).toBe(0);
    expect(result.report.rejected).toBe(4);
    expect(result.report.pairs).toEqual([expect.objectContaining({ source: 'photos-use1', destination: 'photos-euw2', completed: 1 })]);
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^rejected ${escape(lines)}:2: not valid JSON`)),
      `rejected ${lines}:4: detail: detail is an array, expected an object`,
      expect.stringMatching(new RegExp(`^rejected ${escape(truncated)}: (truncated|corrupt) gzip`)),
      `rejected ${path.join(dir, 'missing.jsonl')}: no such file or directory`,
    ]);
  });

  it('rejects a write without a version ID, since only HeadObject could resolve it', async () => {
    const event = JSON.parse(readFileSync(path.join(SAMPLES, 'eventbridge-putobject-source.json'), 'utf8'));
    delete event.detail.responseElements['x-amz-version-id'];
    const file = path.join(dir, 'no-version.jsonl');
    writeFileSync(file, JSON.stringify(event) + '\n');
    const result = await analyzeJson([file]);
    expect(result.report.rejected).toBe(1);
    expect(result.warnings[0]).toContain('has no x-amz-version-id');
  });
});

describe('analyze: inputs', () => {
  it('reads folders recursively, gzipped log files and gzipped JSON Lines, and CRLF line ends', async () => {
    const tree = path.join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20');
    mkdirSync(tree, { recursive: true });
    writeFileSync(path.join(tree, 'log-1.json.gz'), gzipSync(readFileSync(path.join(SAMPLES, 'cloudtrail-logfile.json'))));
    writeFileSync(path.join(tree, 'notes.txt'), 'not an input');
    const notice = JSON.stringify(JSON.parse(readFileSync(path.join(SAMPLES, 's3-notification-replication-failed.json'), 'utf8')));
    writeFileSync(path.join(dir, 'AWSLogs', 'notices.jsonl.gz'), gzipSync(`${notice}\r\n${notice}\r\n`));
    const result = await analyzeJson([path.join(dir, 'AWSLogs')]);
    expect(result.warnings).toEqual([]);
    expect(result.report.rejected).toBe(0);
    expect(result.report.pairs[0]).toMatchObject({ completed: 1, pending: 1 });
  });

  it('takes the replication pairs and overdue threshold from the config file the CDK app uses', async () => {
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        monitorRegion: 'us-east-1',
        regions: ['us-east-1', 'eu-west-2'],
        replication: [{ source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] }],
        overdueMinutes: 1,
      }),
    );
    const { code, stdout } = await run(['analyze', '--config', config, '--format', 'json', SAMPLES]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReplicationReport;
    expect(report.pairs.map((p) => [p.destination, p.completed, p.pending, p.overdue])).toEqual([
      ['photos-apse2', 0, 0, 2],
      ['photos-euw2', 1, 0, 1],
    ]);
    writeFileSync(config, JSON.stringify({ monitorRegion: 'mars-north-1', regions: [], replication: [] }));
    const bad = await run(['analyze', '--config', config, SAMPLES]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('monitorRegion');
  });
});

describe('analyze against a generated workload with known truth', () => {
  it('finds exactly the completed, failed and unreplicated versions per pair, with duplicates and shuffling', async () => {
    const file = path.join(dir, 'workload.jsonl');
    const lines: string[] = [];
    const rules = [
      { source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] },
      { source: 'logs-use1', destinations: ['logs-usw2'] },
    ];
    const truth = generateWorkload(
      { objects: 3000, rules, failRate: 0.05, delayRate: 0.05, duplicateRate: 0.2, shuffleWindow: 500, seed: 7 },
      (e) => lines.push(JSON.stringify(e)),
    );
    writeFileSync(file, lines.join('\n') + '\n');
    const pairs = rules.flatMap((r) => r.destinations.flatMap((destination) => ['--pair', `${r.source}=${destination}`]));
    const result = await analyzeJson([...pairs, '--at', '2026-11-21T00:00:00Z', file]);
    const byPair = Object.fromEntries(result.report.pairs.map((p) => [`${p.source}>${p.destination}`, p]));
    expect(truth.every((t) => t.failed > 0 && t.unreplicated > 0)).toBe(true);
    for (const t of truth) {
      const got = byPair[`${t.source}>${t.destination}`];
      expect([got.completed, got.failed, got.pending + got.overdue, got.bytes]).toEqual([t.completed, t.failed, t.unreplicated, t.bytes]);
      expect(got.overdue).toBe(t.unreplicated);
    }
    expect(result.report.failures).toHaveLength(truth.reduce((n, t) => n + t.failed, 0));
    expect(result.report.rejected).toBe(0);
  });
});

describe('analyze on hostile input', () => {
  const sample = (name: string) => JSON.stringify(JSON.parse(readFileSync(path.join(SAMPLES, name), 'utf8')));
  const MiB = 1024 * 1024;

  it('rejects a line longer than 4 MiB with its place, and analyses the lines around it', async () => {
    const file = path.join(dir, 'long-line.jsonl');
    const fd = openSync(file, 'w');
    writeSync(fd, sample('eventbridge-putobject-source.json') + '\n');
    for (let i = 0; i < 5; i++) writeSync(fd, 'x'.repeat(MiB)); // one 5 MiB line, no newline inside
    writeSync(fd, '\n' + sample('eventbridge-putobject-replica.json') + '\n');
    closeSync(fd);
    const result = await analyzeJson([file]);
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([`rejected ${file}:2: line longer than 4 MiB; skipped`]);
    expect(result.report.rejected).toBe(1);
    expect(result.report.pairs).toEqual([expect.objectContaining({ source: 'photos-use1', destination: 'photos-euw2', completed: 1 })]);
  });

  it('applies --max-line-bytes exactly: a line of the limit (plus a CRLF) is read, one byte more is not', async () => {
    const file = path.join(dir, 'boundary.jsonl');
    writeFileSync(file, ['x'.repeat(20), 'y'.repeat(21), 'z'.repeat(20) + '\r', 'w'.repeat(19)].join('\n'));
    const result = await analyzeJson(['--max-line-bytes', '20', file]);
    const rejected = result.warnings.filter((w) => w.startsWith('rejected '));
    expect(rejected.map((w) => w.replace(/not valid JSON.*/, 'not valid JSON'))).toEqual([
      `rejected ${file}:1: not valid JSON`,
      `rejected ${file}:2: line longer than 20 bytes; skipped`,
      `rejected ${file}:3: not valid JSON`,
      `rejected ${file}:4: not valid JSON`,
    ]);
  });

  it('rejects a gzip bomb in either layout, naming the file, and still analyses the rest', async () => {
    // 64 MiB of zeros per gzip member: ~64 KB on disk each.
    const zeros = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    const lines = path.join(dir, 'bomb.jsonl.gz');
    writeFileSync(lines, Buffer.concat([gzipSync(sample('eventbridge-putobject-source.json') + '\n'), zeros, zeros]));
    const document = path.join(dir, 'bomb.json.gz');
    writeFileSync(document, Buffer.concat([zeros, zeros]));
    const replica = path.join(dir, 'replica.jsonl');
    writeFileSync(replica, sample('eventbridge-putobject-replica.json') + '\n');
    const result = await analyzeJson(['--max-inflated-bytes', String(96 * MiB), lines, document, replica]);
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([
      `rejected ${lines}:2: inflates to more than 96 MiB; rejected (raise the limit with --max-inflated-bytes)`,
      `rejected ${document}: inflates to more than 96 MiB; rejected (raise the limit with --max-inflated-bytes)`,
    ]);
    expect(result.report.rejected).toBe(2);
    // The source write before the bomb in the same file, and the replica in the next file, were analysed.
    expect(result.report.pairs).toEqual([expect.objectContaining({ completed: 1 })]);
    // A whole document is held only up to --max-document-bytes (128 MiB by default), whatever it inflates to.
    const small = await analyzeJson(['--max-document-bytes', String(16 * MiB), document]);
    expect(small.code).toBe(2);
    expect(small.warnings).toEqual([
      `rejected ${document}: a document larger than 16 MiB; rejected (raise the limit with --max-document-bytes)`,
      'crr-monitor: no input could be read',
    ]);
  });

  it('prints 1,000 rejection lines, then counts the rest by reason; the JSON count stays exact', async () => {
    const file = path.join(dir, 'many-bad.jsonl');
    const bad: string[] = [];
    for (let i = 0; i < 3000; i++) {
      bad.push(i % 3 === 0 ? `{"detail-type":"AWS API Call via CloudTrail","detail":[${i}]}` : `not json ${i}`);
    }
    writeFileSync(file, bad.join('\n') + '\n');
    const result = await analyzeJson([file]);
    const rejectedLines = result.warnings.filter((l) => l.startsWith(`rejected ${file}:`));
    expect(rejectedLines).toHaveLength(1000);
    expect(rejectedLines[999]).toMatch(new RegExp(`^rejected ${escape(file)}:1000: `));
    expect(result.warnings).toContain('rejected: 2000 more not shown (first 1000 above), by reason:');
    const counts = result.warnings.filter((l) => l.startsWith('  ')).map((l) => Number(l.trim().split(' ')[0]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(counts).toHaveLength(2); // two kinds of reason: not JSON, and a detail that is not an object
    expect(result.report.rejected).toBe(3000);
  });

  it('escapes control characters of keys (table) and of file names and reasons (stderr)', async () => {
    const event = JSON.parse(sample('eventbridge-putobject-source.json'));
    event.detail.requestParameters.key = 'evil\u001b[2J\nrejected forged\u0007.txt';
    const events = path.join(dir, 'control.jsonl');
    writeFileSync(events, JSON.stringify(event) + '\n');
    const named = path.join(dir, 'bad\u001b[31m\nrejected forged.jsonl');
    writeFileSync(named, '{"truncated": \n');
    const at = '2026-11-21T00:00:00Z';
    const { code, stdout, stderr } = await run(['analyze', '--pair', 'photos-use1=photos-euw2', '--at', at, events, named]);
    expect(code).toBe(0);
    expect(stdout).toContain('evil\\u001b[2J\\u000arejected forged\\u0007.txt');
    expect(stderr.split('\n').filter((l) => l.startsWith('rejected'))).toHaveLength(1);
    expect(stderr).toContain(`rejected ${dir}/bad\\u001b[31m\\u000arejected forged.jsonl:1: not valid JSON`);
    // eslint-disable-next-line no-control-regex
    expect(stdout + stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('follows symbolic links in folders once, names a loop and a broken link, and does not read a FIFO', async () => {
    const root = path.join(dir, 'linked');
    mkdirSync(path.join(root, 'sub'), { recursive: true });
    const outside = path.join(dir, 'outside.json');
    writeFileSync(outside, sample('eventbridge-putobject-replica.json'));
    writeFileSync(path.join(root, 'a.json'), sample('eventbridge-putobject-source.json'));
    symlinkSync('../a.json', path.join(root, 'sub', 'again.json')); // the same file: read once
    symlinkSync(outside, path.join(root, 'sub', 'replica.json')); // a file outside the folder: followed
    symlinkSync('..', path.join(root, 'sub', 'loop')); // back to a folder being read
    symlinkSync('nowhere.json', path.join(root, 'broken.json'));
    execFileSync('mkfifo', [path.join(root, 'pipe.jsonl')]); // reading it would block forever
    const result = await analyzeJson([root]);
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([
      `rejected ${root}/broken.json: broken symbolic link; not read`,
      `rejected ${root}/pipe.jsonl: a FIFO, not a file; not read`,
      `rejected ${root}/sub/loop: symbolic link loop (links to a folder being read); not followed`,
    ]);
    expect(result.report.rejected).toBe(3);
    expect(result.report.pairs).toEqual([expect.objectContaining({ completed: 1, pending: 0 })]);
  });

  it('takes --at only as ISO 8601 with a zone', async () => {
    for (const at of ['2026-11-20', '2026-11-20T10:30:00', 'Nov 20 2026', '1', '2026-02-30T00:00:00Z', '2026-11-20T24:00:00Z']) {
      const { code, stderr } = await run(['analyze', '--at', at, SAMPLES]);
      expect({ at, code }).toEqual({ at, code: 2 });
      expect(stderr).toContain(`crr-monitor: --at ${at}: expected an ISO-8601 time with a zone`);
    }
    const offset = await analyzeJson(['--at', '2026-11-20T12:00:00+01:00', SAMPLES]);
    expect(offset.report.asOf).toBe('2026-11-20T11:00:00.000Z');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
