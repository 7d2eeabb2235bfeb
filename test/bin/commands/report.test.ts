/**
 * `crr-monitor report --archive`: the archive's files (rows as lambda/archive writes them, GZIP JSON Lines under
 * dt= folders, superseded and repeated rows included) give the same `slo` as analyze gives for the same finished
 * versions. Through the binary for local files; in process with the S3 client mocked for s3://.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../bin/commands/report';
import { archiveRow } from '../../../lambda/archive/archive';
import { evaluateRecord, indexPairs, parseText, VersionTracker, type PairState, type SloReport } from '../../../lambda/core';
import { eventBridgeWrite, replicationNotification } from '../../../tools/local-pipeline/events';
import { runCli } from '../../support/run-cli';

const SRC = 'photos-use1';
const DST = 'photos-euw2';
const AT = '2026-11-21T12:00:00Z';
const t = (iso: string) => Date.parse(iso);
const version = (key: string, at: string, latency: number | null) => [
  eventBridgeWrite({ bucket: SRC, key, versionId: `v-${key}`, at: t(at), bytes: 10 }),
  ...(latency === null
    ? []
    : [eventBridgeWrite({ bucket: DST, key, versionId: `v-${key}`, at: t(at) + latency * 1000, bytes: 10, byReplication: true })]),
];
const notice = (key: string, at: string, reason: string) =>
  replicationNotification({ source: SRC, destination: DST, key, versionId: `v-${key}`, at: t(at), reason });

/** Two UTC days of finished versions (the archive holds no pending ones). */
const EVENTS = [
  ...version('day1/fast', '2026-11-20T10:00:00Z', 60),
  ...version('day1/at-midnight', '2026-11-20T23:50:00Z', 900),
  ...version('day1/slow', '2026-11-20T12:00:00Z', 1200),
  ...version('day1/failed', '2026-11-20T13:00:00Z', null),
  notice('day1/failed', '2026-11-20T13:01:00Z', 'DstPutObjectNotPermitted'),
  ...version('day1/deleted', '2026-11-20T14:00:00Z', null),
  notice('day1/deleted', '2026-11-20T14:01:00Z', 'SrcObjectNotFound'),
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
  ...version('day2/retried', '2026-11-21T09:30:00Z', 10),
  notice('day2/retried', '2026-11-21T09:30:05Z', 'DstPutObjectNotPermitted'), // failed first, then S3 retried
  ...version('day2/just-late', '2026-11-21T10:00:00Z', 901),
];

/** The final pair states of EVENTS, as the archive handler sees them. */
function finalStates(): PairState[] {
  const tracker = new VersionTracker();
  for (const document of EVENTS) for (const event of parseText(JSON.stringify(document)).events) tracker.apply(event);
  const pairs = indexPairs([{ source: SRC, destination: DST }]);
  return [...tracker.records()].flatMap((r) => evaluateRecord(r, pairs, { at: 0, overdueMillis: Number.POSITIVE_INFINITY }));
}

let dir: string;
let archive: string;
let analyzed: SloReport;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-report-'));
  archive = path.join(dir, 'crr-monitor/records');
  const lines: Record<string, string[]> = {};
  const put = (row: ReturnType<typeof archiveRow>) => {
    const day = new Date(row.recordedAt).toISOString().slice(0, 10);
    (lines[day] ??= []).push(JSON.stringify(row));
  };
  let sequence = 1000;
  const seq = () => String(sequence++).padStart(40, '0');
  for (const s of finalStates()) {
    const recordedAt = s.sourceAt + 120_000;
    if (s.key === 'day2/retried')
      put(
        archiveRow(
          { ...s, state: 'FAILED', latencySeconds: null, failureReason: 'DstPutObjectNotPermitted' },
          'failed',
          recordedAt - 60_000,
          seq(),
        ),
      );
    if (s.state === 'COMPLETED' && s.latencySeconds !== null && s.key.startsWith('day1/')) {
      // Completed first without its latency (HeadObject), then the latency row corrects it.
      put(archiveRow({ ...s, latencySeconds: null }, 'completed', recordedAt - 30_000, seq()));
      put(archiveRow(s, 'latency', recordedAt, seq()));
    } else {
      const row = archiveRow(s, s.state === 'FAILED' ? 'failed' : 'completed', recordedAt, seq());
      put(row);
      put(row); // a retried stream batch writes the same row again
    }
  }
  for (const [day, rows] of Object.entries(lines)) {
    mkdirSync(path.join(archive, `dt=${day}`), { recursive: true });
    writeFileSync(path.join(archive, `dt=${day}`, `crr-monitor-archive-1-${day}-[x]`), gzipSync(rows.join('\n') + '\n'));
  }
  // One file not compressed, with a name DuckDB would take for a glob.
  writeFileSync(path.join(archive, 'dt=2026-11-21', 'plain*.json'), '');
  const events = path.join(dir, 'events.jsonl');
  writeFileSync(events, EVENTS.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const result = await runCli(['analyze', '--pair', `${SRC}=${DST}`, '--at', AT, '--format', 'json', events]);
  analyzed = JSON.parse(result.stdout).slo;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crr-monitor report --archive (binary)', () => {
  it("gives analyze's slo for the same finished versions, exact per day, from the latest row of each version", async () => {
    const { code, stdout, stderr } = await runCli([
      'report',
      '--archive',
      archive,
      '--pair',
      `${SRC}=${DST}`,
      '--at',
      AT,
      '--format',
      'json',
    ]);
    expect([code, stderr]).toEqual([0, '']);
    const report = JSON.parse(stdout);
    expect(report.slo).toEqual(analyzed);
    expect(report.slo).toEqual({
      objectiveSeconds: 900,
      pairs: [
        {
          source: SRC,
          destination: DST,
          versions: 8,
          withinObjective: 5,
          missedObjective: 3,
          percentWithin: 62.5,
          worstSeconds: 82_800,
          days: [
            { day: '2026-11-20', versions: 4, withinObjective: 2, missedObjective: 2, percentWithin: 50, worstSeconds: 82_800 },
            { day: '2026-11-21', versions: 4, withinObjective: 3, missedObjective: 1, percentWithin: 75, worstSeconds: 901 },
          ],
        },
      ],
    });
    expect(report.asOf).toBe('2026-11-21T12:00:00.000Z');
    // 10 finished pair states; day-1 completions wrote two rows, the others one row twice, day2/retried a failed row more.
    expect(report.read).toEqual({ files: 3, rows: 21, versions: 10, rejected: 0 });
  });

  it('ages failures to the latest row by default, takes --slo-minutes and a --since/--until window, and prints a table', async () => {
    const byDefault = JSON.parse((await runCli(['report', '--archive', archive, '--format', 'json'])).stdout);
    // The latest recordedAt: day2/just-late's row, 10:00 + 120 s.
    expect(byDefault.asOf).toBe('2026-11-21T10:02:00.000Z');
    expect(byDefault.slo.pairs[0].days[0].worstSeconds).toBe(t('2026-11-21T10:02:00Z') / 1000 - t('2026-11-20T13:00:00Z') / 1000);
    const window = await runCli([
      'report',
      '--archive',
      archive,
      '--at',
      AT,
      '--slo-minutes',
      '20',
      '--since',
      '2026-11-21T00:00:00Z',
      '--format',
      'json',
    ]);
    expect(JSON.parse(window.stdout).slo.pairs[0].days).toEqual([
      { day: '2026-11-21', versions: 4, withinObjective: 4, missedObjective: 0, percentWithin: 100, worstSeconds: 901 },
    ]);
    const until = JSON.parse(
      (await runCli(['report', '--archive', archive, '--at', AT, '--until', '2026-11-21T00:00:00Z', '--format', 'json'])).stdout,
    );
    expect(until.slo.pairs[0].days.map((d: { day: string }) => d.day)).toEqual(['2026-11-20']);
    const table = await runCli(['report', '--archive', archive, '--at', AT]);
    expect(table.stdout).toMatch(/^RPO report from the archive as of 2026-11-21T12:00:00.000Z: 3 files, 21 rows, 10 versions\n/);
    expect(table.stdout).toMatch(/photos-use1\s+photos-euw2\s+all days\s+8\s+5\s+3\s+62\.5%\s+82800s/);
    const html = await runCli(['report', '--archive', archive, '--at', AT, '--format', 'html']);
    expect(html.stdout).toContain('<h3>RPO compliance by day (objective 15 min)</h3>');
  });

  it('names an unreadable file, a missing folder and rows it cannot use', async () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'broken.gz'), gzipSync('{"source": "a", "destination": \n'));
    const broken = await runCli(['report', '--archive', bad, '--format', 'json']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^crr-monitor: archive unreadable: .*broken\.gz/);
    const missing = await runCli(['report', '--archive', path.join(dir, 'nope')]);
    expect([missing.code, missing.stderr]).toEqual([1, `crr-monitor: --archive ${path.join(dir, 'nope')}: no such file or directory\n`]);
    const row = { source: 'a', destination: 'b', key: 'k', versionId: 'v', state: 'COMPLETED', revision: 2, recordedAt: 1, sourceAt: 0 };
    const { state: _state, ...stateless } = row;
    writeFileSync(
      path.join(bad, 'broken.gz'),
      gzipSync([{ source: 'a', destination: 'b', key: 'k' }, stateless, row].map((r) => JSON.stringify(r)).join('\n')),
    );
    const partial = await runCli(['report', '--archive', bad, '--format', 'json']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain('2 archive rows rejected');
    expect(JSON.parse(partial.stdout).read).toEqual({ files: 1, rows: 3, versions: 1, rejected: 2 });
    expect((await runCli(['report'])).code).toBe(2);
  });
});

describe('crr-monitor report --archive s3://', () => {
  it('lists the prefix, fetches each object with the SDK, skips date folders before --since, and reports the same', async () => {
    const s3 = mockClient(S3Client);
    const { readdirSync, readFileSync } = await import('node:fs');
    const objects: Record<string, Buffer> = {};
    for (const folder of readdirSync(archive)) {
      for (const name of readdirSync(path.join(archive, folder)))
        objects[`crr-monitor/records/${folder}/${name}`] = readFileSync(path.join(archive, folder, name));
    }
    objects['crr-monitor/records/dt=2026-10-01/old.gz'] = gzipSync('not json at all\n'); // skipped: long before --since
    s3.on(ListObjectsV2Command).resolves({ Contents: Object.keys(objects).map((Key) => ({ Key })) });
    for (const [Key, body] of Object.entries(objects))
      s3.on(GetObjectCommand, { Bucket: 'archive-bucket', Key }).resolves({ Body: Readable.from([body]) as never });
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await run(
        [
          '--archive',
          's3://archive-bucket/crr-monitor/records/',
          '--since',
          '2026-11-20T00:00:00Z',
          '--at',
          AT,
          '--region',
          'us-east-1',
          '--format',
          'json',
        ],
        { out: (t) => out.push(t), err: (t) => err.push(t) },
      );
      expect([code, err]).toEqual([0, []]);
      expect(JSON.parse(out.join('')).slo).toEqual(analyzed);
      expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: 'archive-bucket', Prefix: 'crr-monitor/records/' });
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain('crr-monitor/records/dt=2026-10-01/old.gz');
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(3);
    } finally {
      s3.restore();
    }
  });
});
