/**
 * `analyze s3://BUCKET/PREFIX` through the binary against the emulator's S3 (fauxqs, path-style on a loopback
 * port): CloudTrail's folder layout, --since/--until, gzipped log files and JSON Lines, exact reports, and errors
 * that name the prefix or object (a missing bucket from the emulator; access denied from a stub S3 that answers
 * 403, since fauxqs does not check permissions).
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ReplicationReport } from '../../../lambda/core';
import { startS3Emulator } from '../../../tools/local-pipeline/emulators';
import { generateWorkload } from '../../../tools/local-pipeline/workload';
import { ROOT, runCli } from '../../support/run-cli';

// The SDK's Node-version notice would only clutter the test's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SAMPLES = path.join(ROOT, 'test/fixtures/events');
const BUCKET = 'trail-logs-111122223333';
const TRAIL = 'AWSLogs/111122223333/CloudTrail/us-east-1';
const RULES = [
  { source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] },
  { source: 'logs-use1', destinations: ['logs-usw2'] },
];
const PAIRS = RULES.flatMap((r) => r.destinations.flatMap((d) => ['--pair', `${r.source}=${d}`]));

let emulator: Awaited<ReturnType<typeof startS3Emulator>>;
let s3: S3Client;
let dir: string;
/** The same objects as local files, in the same layout: what each S3 run is compared with. */
let local: string;
let env: Record<string, string>;

const put = async (key: string, body: Buffer | string) => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const file = path.join(local, key);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, body);
};

/** A CloudTrail log file: the records of EventBridge "AWS API Call via CloudTrail" events. */
const logFile = (events: Record<string, unknown>[]) => gzipSync(JSON.stringify({ Records: events.map((e) => e.detail) }));

beforeAll(async () => {
  emulator = await startS3Emulator();
  env = { AWS_ENDPOINT_URL_S3: emulator.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  s3 = new S3Client({
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'crr-analyze-s3-'));
  local = path.join(dir, 'local');
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // The shipped samples as one day's objects (the report of that folder is known exactly).
  for (const name of readdirSync(SAMPLES)) await put(`samples/2026/11/20/${name}`, readFileSync(path.join(SAMPLES, name)));
  // A workload with known truth, spread over CloudTrail log files in five day folders (10-31 to 11-04); its
  // failure notifications (which are not CloudTrail records) as a JSON Lines object of each day.
  const trail: Record<string, unknown>[] = [];
  const notices: Record<string, unknown>[] = [];
  generateWorkload({ objects: 1500, rules: RULES, failRate: 0.05, delayRate: 0.05, duplicateRate: 0.1, seed: 11 }, (event) =>
    ('detail' in event ? trail : notices).push(event),
  );
  const days = ['2026/10/31', '2026/11/01', '2026/11/02', '2026/11/03', '2026/11/04'];
  const filesPerDay = 3;
  const per = Math.ceil(trail.length / (days.length * filesPerDay));
  for (let i = 0; i * per < trail.length; i++) {
    const day = days[Math.floor(i / filesPerDay)];
    const name = `111122223333_CloudTrail_us-east-1_${day.replace(/\//g, '')}T10${String(i).padStart(2, '0')}Z_f${i}.json.gz`;
    await put(`${TRAIL}/${day}/${name}`, logFile(trail.slice(i * per, (i + 1) * per)));
  }
  const perDay = Math.ceil(notices.length / days.length);
  for (const [i, day] of days.entries()) {
    const lines = notices.slice(i * perDay, (i + 1) * perDay).map((n) => JSON.stringify(n) + '\n');
    await put(`${TRAIL}/${day}/notifications.jsonl.gz`, gzipSync(lines.join('')));
  }
  // Not an input kind (listed, not read), and a digest folder beside the trail's.
  await put(`${TRAIL}/2026/11/02/README.txt`, 'not a log file');
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const analyze = (args: string[], extraEnv: Record<string, string> = env) =>
  runCli(['analyze', '--format', 'json', ...args], { env: extraEnv });

describe('analyze s3://BUCKET/PREFIX', () => {
  it('reads the objects under a prefix into exactly the report the same files give locally', async () => {
    const fromS3 = await analyze([`s3://${BUCKET}/samples/`]);
    expect(fromS3.stderr).toBe(''); // no progress line when stderr is not a terminal
    expect(fromS3.code).toBe(0);
    expect(JSON.parse(fromS3.stdout)).toEqual<ReplicationReport>({
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
      // The pending version is still inside the objective at asOf: not judged yet.
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
    const fromDisk = await analyze([path.join(local, 'samples')]);
    expect(fromS3.stdout).toBe(fromDisk.stdout);
  });

  it('--since/--until read only the date folders in range: the report of exactly those days, on any thread count', async () => {
    const args = [...PAIRS, '--at', '2026-11-21T00:00:00Z', '--since', '2026-11-01', '--until', '2026-11-03'];
    const one = await analyze([...args, '--threads', '1', `s3://${BUCKET}/${TRAIL}/2026/`]);
    const two = await analyze([...args, '--threads', '2', `s3://${BUCKET}/${TRAIL}/2026/`]);
    const days = ['01', '02', '03'].map((d) => path.join(local, TRAIL, '2026/11', d));
    const fromDisk = await analyze([...PAIRS, '--at', '2026-11-21T00:00:00Z', '--threads', '1', ...days]);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(fromDisk.stdout);
    expect(two.stdout).toBe(one.stdout);
    const report = JSON.parse(one.stdout) as ReplicationReport;
    const all = JSON.parse(
      (await analyze([...PAIRS, '--at', '2026-11-21T00:00:00Z', `s3://${BUCKET}/${TRAIL}/`])).stdout,
    ) as ReplicationReport;
    // Three of the five days: fewer versions than the whole trail, and some of every kind.
    const total = (r: ReplicationReport) => r.pairs.reduce((n, p) => n + p.completed + p.failed + p.pending + p.overdue, 0);
    expect(total(report)).toBeGreaterThan(0);
    expect(total(report)).toBeLessThan(total(all));
    expect(report.pairs.every((p) => p.completed > 0)).toBe(true);
  });

  it('reads the whole workload from S3 to its known truth', async () => {
    const trail: Record<string, unknown>[] = [];
    const truth = generateWorkload({ objects: 1500, rules: RULES, failRate: 0.05, delayRate: 0.05, duplicateRate: 0.1, seed: 11 }, (e) =>
      trail.push(e),
    );
    const { code, stdout, stderr } = await analyze([...PAIRS, '--at', '2026-11-21T00:00:00Z', `s3://${BUCKET}/${TRAIL}/`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReplicationReport;
    for (const t of truth) {
      const got = report.pairs.find((p) => p.source === t.source && p.destination === t.destination)!;
      expect([got.completed, got.failed, got.overdue, got.bytes]).toEqual([t.completed, t.failed, t.unreplicated, t.bytes]);
    }
    expect(report.rejected).toBe(0);
  });

  it('names a missing bucket and an empty range, and takes --since/--until only as days, in order, for s3:// inputs', async () => {
    const missing = await analyze(['s3://no-such-bucket-here/AWSLogs/']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('rejected s3://no-such-bucket-here/AWSLogs/: cannot list: NoSuchBucket');
    const empty = await analyze([`s3://${BUCKET}/${TRAIL}/`, '--since', '2025-01-01', '--until', '2025-01-02']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`rejected s3://${BUCKET}/${TRAIL}/: no log files`);
    expect((await analyze([`s3://${BUCKET}/${TRAIL}/`, '--since', '2026-11-31'])).stderr).toContain(
      '--since 2026-11-31: expected a UTC day as YYYY-MM-DD',
    );
    expect((await analyze([`s3://${BUCKET}/${TRAIL}/`, '--since', '2026-11-03', '--until', '2026-11-01'])).stderr).toContain(
      '--since 2026-11-03 is after --until 2026-11-01',
    );
    expect((await analyze([path.join(local, 'samples'), '--since', '2026-11-01'])).stderr).toContain(
      '--since/--until choose the date folders of s3:// inputs',
    );
    expect((await analyze([`s3://${BUCKET}/${TRAIL}/`, '--until', '2026-11-01'])).code).toBe(2);
  });
});

describe('analyze s3:// when access is denied', () => {
  let stub: Server;
  let endpoint: string;
  beforeAll(async () => {
    // Lists one object under `open/` and denies everything else, as S3 does without s3:ListBucket / s3:GetObject.
    stub = createServer((request, response) => {
      const url = new URL(request.url!, 'http://stub');
      const denied = () => {
        response.writeHead(403, { 'content-type': 'application/xml' });
        response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      };
      if (url.searchParams.get('list-type') === '2' && url.searchParams.get('prefix') === 'open/') {
        response.writeHead(200, { 'content-type': 'application/xml' });
        response.end(
          '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>locked</Name><Prefix>open/</Prefix><KeyCount>1</KeyCount>' +
            '<IsTruncated>false</IsTruncated><Contents><Key>open/2026/11/02/log.json.gz</Key><Size>100</Size></Contents></ListBucketResult>',
        );
        return;
      }
      denied();
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => stub.close(() => resolve())));

  it('names the prefix it could not list and the object it could not read', async () => {
    const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const list = await analyze(['--endpoint-url', endpoint, 's3://locked/AWSLogs/'], credentials);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('rejected s3://locked/AWSLogs/: cannot list: AccessDenied: Access Denied');
    const read = await analyze(['--endpoint-url', endpoint, 's3://locked/open/'], credentials);
    expect(read.code).toBe(2);
    expect(read.stderr).toContain('rejected s3://locked/open/2026/11/02/log.json.gz: AccessDenied: Access Denied');
  });
});
