/**
 * `crr-monitor status`: the live report through the real binary, reading a table on dynalite (AWS_ENDPOINT_URL)
 * laid out as the drain and sweep write it (due + attention indexes); `status s3://…` in process with HeadObject
 * mocked (aws-sdk-client-mock), answers shaped as the SDK returns them.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../bin/commands/status';
import { marshalledSlot } from '../../support/attribute-values';
import { ATTENTION_INDEX, DUE_INDEX, pendingShardOf, tableDefinition } from '../../../lambda/shared/contract';
import type { SlotValue } from '../../../lambda/core';
import { createTable } from '../../../tools/local-pipeline/provision';
import { launchChromium, openHtml } from '../../support/browser';
import { runCli } from '../../support/run-cli';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');
const TABLE = 'status-records';
const AT = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;
const OVERDUE = 15 * MIN;
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };

let server: { listen(port: number, host: string, cb: () => void): void; close(cb: () => void): void; address(): AddressInfo };
let endpoint = '';

const write = (at: number, bytes: number): SlotValue => ({ at, tie: `0|PutObject|${bytes}`, what: 'PutObject', bytes, byReplication: 0 });
const replica = (at: number, bytes: number): SlotValue => ({ at, tie: `1|PutObject|${bytes}`, what: 'PutObject', bytes, byReplication: 1 });
const failure = (at: number, reason: string): SlotValue => ({ at, tie: reason, what: reason });

async function putVersion(
  client: DynamoDBClient,
  key: string,
  sourceAt: number,
  slots: Record<string, SlotValue>,
  attention?: 'FAILED' | 'OVERDUE',
) {
  const item: Record<string, AttributeValue> = { pk: { S: key }, sk: { S: `v-${key}` } };
  for (const [name, value] of Object.entries(slots)) item[name] = marshalledSlot(value);
  const shard = pendingShardOf(key, `v-${key}`);
  item[DUE_INDEX.partitionKey] = { S: shard };
  item[DUE_INDEX.sortKey] = { N: String(sourceAt + OVERDUE) };
  if (attention) {
    item[ATTENTION_INDEX.partitionKey] = { S: shard };
    item[ATTENTION_INDEX.sortKey] = { N: String(sourceAt) };
    item[ATTENTION_INDEX.stateAttribute] = { S: attention };
  }
  await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  // The harness's createTable waits for ACTIVE: dynalite creates asynchronously.
  await createTable(client, TABLE);
  const src = 'w:src-bucket';
  await putVersion(client, 'done-1', AT - 60 * MIN, {
    [src]: write(AT - 60 * MIN, 100),
    'w:dst-bucket': replica(AT - 60 * MIN + 4000, 100),
  });
  await putVersion(client, 'done-2', AT - 50 * MIN, {
    [src]: write(AT - 50 * MIN, 300),
    'w:dst-bucket': replica(AT - 50 * MIN + 10_000, 300),
  });
  await putVersion(
    client,
    'failed',
    AT - 40 * MIN,
    { [src]: write(AT - 40 * MIN, 7), 'f:src-bucket>dst-bucket': failure(AT - 39 * MIN, 'DstPutObjectNotPermitted') },
    'FAILED',
  );
  await putVersion(client, 'overdue', AT - 30 * MIN, { [src]: write(AT - 30 * MIN, 1000) }, 'OVERDUE');
  // Issue 15's classes: a completed version whose tags did not replicate (in attention: redrive takes it), a delete
  // marker that did not replicate, a source version deleted before it replicated (neither failed nor pending).
  await putVersion(
    client,
    'tags-failed',
    AT - 20 * MIN,
    {
      [src]: write(AT - 20 * MIN, 50),
      'w:dst-bucket': replica(AT - 20 * MIN + 6000, 50),
      'm:src-bucket>dst-bucket': failure(AT - 19 * MIN, 'DstPutTaggingNotPermitted'),
    },
    'FAILED',
  );
  await putVersion(client, 'marker', AT - 25 * MIN, { 'f:src-bucket>dst-bucket': failure(AT - 25 * MIN, 'DstDelObjNotPermitted') });
  await putVersion(client, 'src-gone', AT - 35 * MIN, {
    [src]: write(AT - 35 * MIN, 9),
    'f:src-bucket>dst-bucket': failure(AT - 34 * MIN, 'SrcVersionNotFound'),
  });
  await putVersion(client, 'pending-1', AT - 5 * MIN, { [src]: write(AT - 5 * MIN, 20) });
  await putVersion(client, 'pending-2', AT - 1 * MIN, { [src]: write(AT - 1 * MIN, 30) });
  // Failed three days ago: outside the default window, but still in the attention index, so still reported.
  await putVersion(
    client,
    'old-failure',
    AT - 72 * 60 * MIN,
    { [src]: write(AT - 72 * 60 * MIN, 5), 'f:src-bucket>*': failure(AT - 72 * 60 * MIN, 'SrcGetObjectNotPermitted') },
    'FAILED',
  );
  // Completed three days ago: outside the window, not read.
  await putVersion(client, 'old-done', AT - 72 * 60 * MIN, {
    [src]: write(AT - 72 * 60 * MIN, 5),
    'w:dst-bucket': replica(AT - 72 * 60 * MIN + 1000, 5),
  });
  client.destroy();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('crr-monitor status (binary)', () => {
  it("prints analyze's report of the window plus each pair's backlog, read through the indexes", async () => {
    const result = await runCli(
      ['status', '--table', TABLE, '--pair', 'src-bucket=dst-bucket', '--at', new Date(AT).toISOString(), '--format', 'json'],
      {
        env: { ...ENV, AWS_ENDPOINT_URL: endpoint },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.asOf).toBe('2026-11-20T12:00:00.000Z');
    expect(report.pairs).toEqual([
      {
        source: 'src-bucket',
        destination: 'dst-bucket',
        completed: 3,
        completedWithoutSource: 0,
        failed: 2,
        metadataFailed: 1,
        deleteMarkersFailed: 1,
        sourceDeleted: 1,
        pending: 2,
        overdue: 1,
        bytes: 450,
        latencySeconds: { p50: 6, p90: 10, p99: 10, max: 10 },
      },
    ]);
    expect(report.failures.map((f: { key: string; reason: string; class: string }) => [f.key, f.reason, f.class])).toEqual([
      ['failed', 'DstPutObjectNotPermitted', 'data'],
      ['marker', 'DstDelObjNotPermitted', 'deleteMarker'],
      ['old-failure', 'SrcGetObjectNotPermitted', 'data'],
      ['src-gone', 'SrcVersionNotFound', 'sourceDeleted'],
      ['tags-failed', 'DstPutTaggingNotPermitted', 'metadata'],
    ]);
    expect(report.overdue).toEqual([
      { source: 'src-bucket', destination: 'dst-bucket', key: 'overdue', versionId: 'v-overdue', pendingSeconds: 1800 },
    ]);
    expect(report.backlog).toEqual([
      {
        source: 'src-bucket',
        destination: 'dst-bucket',
        pending: 3,
        oldestPendingSeconds: 1800,
        pendingAgeSeconds: { p50: 300, p90: 1800 },
        pendingBytes: 1050,
      },
    ]);
    // Nine versions in the window's due entries, four in attention (three failures, one overdue; old-failure is not
    // due); old-done unread.
    expect(report.read).toEqual({ dueEntries: 9, attentionEntries: 4, records: 10 });
    // RPO at the overdue threshold (15 min): the failures and the overdue version missed it, the pending ones do not
    // count yet, nor do the delete marker and the deleted source (tags-failed completed in 6 s: within); a failure's worst is its age at --at (three days for old-failure).
    expect(report.slo).toEqual({
      objectiveSeconds: 900,
      pairs: [
        {
          source: 'src-bucket',
          destination: 'dst-bucket',
          versions: 6,
          withinObjective: 3,
          missedObjective: 3,
          percentWithin: 50,
          worstSeconds: 259_200,
          days: [
            { day: '2026-11-17', versions: 1, withinObjective: 0, missedObjective: 1, percentWithin: 0, worstSeconds: 259_200 },
            { day: '2026-11-20', versions: 5, withinObjective: 3, missedObjective: 2, percentWithin: 60, worstSeconds: 2400 },
          ],
        },
      ],
    });
  });

  it('reports RPO compliance against --slo-minutes', async () => {
    const result = await runCli(
      [
        'status',
        '--table',
        TABLE,
        '--pair',
        'src-bucket=dst-bucket',
        '--at',
        new Date(AT).toISOString(),
        '--slo-minutes',
        '45',
        '--format',
        'json',
      ],
      { env: { ...ENV, AWS_ENDPOINT_URL: endpoint } },
    );
    expect([result.code, result.stderr]).toEqual([0, '']);
    // At 45 minutes the version overdue for 30 is still inside the objective: not counted.
    expect(JSON.parse(result.stdout).slo.pairs[0].days).toEqual([
      { day: '2026-11-17', versions: 1, withinObjective: 0, missedObjective: 1, percentWithin: 0, worstSeconds: 259_200 },
      { day: '2026-11-20', versions: 4, withinObjective: 3, missedObjective: 1, percentWithin: 75, worstSeconds: 2400 },
    ]);
  });

  it('renders the report as one HTML page with the backlog age, as Chromium shows it', async () => {
    const result = await runCli(
      ['status', '--table', TABLE, '--pair', 'src-bucket=dst-bucket', '--at', new Date(AT).toISOString(), '--format', 'html'],
      { env: { ...ENV, AWS_ENDPOINT_URL: endpoint } },
    );
    expect([result.code, result.stderr]).toEqual([0, '']);
    const browser = await launchChromium();
    try {
      const { page, requests, close } = await openHtml(browser, result.stdout);
      expect(await page.locator('h1').innerText()).toBe('S3 replication status');
      expect(await page.locator('h3').allInnerTexts()).toEqual([
        'Latency distribution',
        'RPO compliance by day (objective 15 min)',
        'Backlog age',
        'Failures by reason (5)',
        'Overdue (1)',
      ]);
      const backlog = page.locator('svg.chart', { has: page.locator('text.value') });
      expect((await backlog.boundingBox())!.height).toBeGreaterThan(50);
      expect(await backlog.locator('text.value').allTextContents()).toEqual(['30 min', '30 min', '5 min']);
      expect(requests).toEqual([]);
      await close();
    } finally {
      await browser.close();
    }
    const json = await runCli(
      ['status', 's3://src-bucket/k', '--pair', 'src-bucket=dst-bucket', '--region', 'us-east-1', '--format', 'html'],
      {
        env: ENV,
      },
    );
    expect([json.code, json.stderr.split('\n')[0]]).toEqual([
      2,
      'crr-monitor: --format html is for the report, not status s3://BUCKET/KEY',
    ]);
  });

  it('names a table without the due/attention indexes, or no table at all, and exits 1', async () => {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const { GlobalSecondaryIndexes: _none, ...plain } = tableDefinition('old-layout');
    await client.send(new CreateTableCommand({ ...plain, AttributeDefinitions: plain.AttributeDefinitions.slice(0, 2) }));
    client.destroy();
    const env = { ...ENV, AWS_ENDPOINT_URL: endpoint };
    const old = await runCli(['status', '--table', 'old-layout', '--pair', 'src-bucket=dst-bucket'], { env });
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/^crr-monitor: table old-layout lacks the due\/attention indexes .*deploy the current MonitorStack\n$/);
    const missing = await runCli(['redrive', '--table', 'no-such-table', '--pair', 'src-bucket=dst-bucket', '--manifest', '-'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('crr-monitor: table no-such-table was not found (wrong --table, --stack or --region?)\n');
  });

  it('prints the table with the backlog, and exits 2 when it has no pairs', async () => {
    const table = await runCli(['status', '--table', TABLE, '--pair', 'src-bucket=dst-bucket', '--at', new Date(AT).toISOString()], {
      env: { ...ENV, AWS_ENDPOINT_URL: endpoint },
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Backlog:\nSOURCE\s+DESTINATION\s+PENDING\s+OLDEST\s+P50 AGE\s+P90 AGE\s+BYTES/);
    expect(table.stdout).toMatch(/src-bucket\s+dst-bucket\s+3\s+1800s\s+300s\s+1800s\s+1\.0 KiB/);
    const noPairs = await runCli(['status', '--table', TABLE], { env: ENV });
    expect(noPairs.code).toBe(2);
    expect(noPairs.stderr).toContain('status needs the pairs');
  });
});

describe('crr-monitor status s3://BUCKET/KEY', () => {
  const notFound = () =>
    new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'Not Found' });

  it('shows the version in the source and each destination, with a checksum verdict per replica', async () => {
    const s3 = mockClient(S3Client);
    const base = { VersionId: 'v1', ContentLength: 5, LastModified: new Date(AT) };
    s3.on(HeadObjectCommand, { Bucket: 'src-bucket' }).resolves({
      ...base,
      ReplicationStatus: 'COMPLETED',
      ETag: '"aaa"',
      ChecksumCRC32: 'NhCmhg==',
      ChecksumType: 'FULL_OBJECT',
    });
    s3.on(HeadObjectCommand, { Bucket: 'dst-bucket' }).resolves({
      ...base,
      ReplicationStatus: 'REPLICA',
      ETag: '"bbb"',
      ChecksumCRC32: 'NhCmhg==',
      ChecksumType: 'FULL_OBJECT',
    });
    s3.on(HeadObjectCommand, { Bucket: 'dst-two' }).resolves({
      ...base,
      ReplicationStatus: 'REPLICA',
      ETag: '"aaa"',
      ChecksumCRC32: 'AAAAAA==',
    });
    s3.on(HeadObjectCommand, { Bucket: 'dst-three' }).resolves({ ...base, ReplicationStatus: 'REPLICA', ETag: '"aaa"' });
    s3.on(HeadObjectCommand, { Bucket: 'dst-four' }).rejects(notFound());
    const out: string[] = [];
    try {
      const pairs = ['dst-bucket', 'dst-two', 'dst-three', 'dst-four'].flatMap((d) => ['--pair', `src-bucket=${d}`]);
      const code = await run(['s3://dst-bucket/a key+1', ...pairs, '--region', 'us-east-1', '--format', 'json'], {
        out: (t) => out.push(t),
        err: (t) => out.push(t),
      });
      expect(code).toBe(1); // dst-two differs
      const { versions } = JSON.parse(out.join(''));
      expect(versions.map((v: { bucket: string; verdict?: string; outcome: string }) => [v.bucket, v.outcome, v.verdict])).toEqual([
        ['src-bucket', 'found', undefined],
        ['dst-bucket', 'found', 'verified'],
        ['dst-two', 'found', 'differs'],
        ['dst-three', 'found', 'unknown'],
        ['dst-four', 'not-found', 'unknown'],
      ]);
      expect(versions[1]).toMatchObject({
        replicationStatus: 'REPLICA',
        etag: '"bbb"',
        checksums: { CRC32: 'NhCmhg==' },
        checksumType: 'FULL_OBJECT',
      });
      // The key is asked for as given, with checksums, and the destinations for the source's version ID.
      for (const call of s3.commandCalls(HeadObjectCommand))
        expect(call.args[0].input).toMatchObject({ Key: 'a key+1', ChecksumMode: 'ENABLED' });
      expect(s3.commandCalls(HeadObjectCommand, { Bucket: 'dst-two' })[0].args[0].input.VersionId).toBe('v1');
    } finally {
      s3.restore();
    }
  });

  it('exits 0 when every replica is verified, and 2 for a bucket in no pair', async () => {
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v9', ContentLength: 1, ChecksumSHA256: 'x', ReplicationStatus: 'COMPLETED' });
    const out: string[] = [];
    try {
      const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
      expect(await run(['s3://src-bucket/k', '--version-id', 'v9', '--pair', 'src-bucket=dst-bucket', '--region', 'us-east-1'], io)).toBe(
        0,
      );
      expect(out.join('')).toMatch(/destination\s+dst-bucket\s+COMPLETED\s+v9\s+1\s+-\s+SHA256:x\s+verified \(SHA256 agree\)/);
      await expect(run(['s3://elsewhere/k', '--pair', 'src-bucket=dst-bucket', '--region', 'us-east-1'], io)).rejects.toThrow(
        'elsewhere is in no configured pair',
      );
    } finally {
      s3.restore();
    }
  });
});
