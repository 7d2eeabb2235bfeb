/**
 * `crr-monitor redrive`: the manifest through the real binary, reading a table on dynalite (AWS_ENDPOINT_URL) laid
 * out as the drain and sweep write it; --execute in process, with S3, STS and S3 Control mocked (aws-sdk-client-mock)
 * and the table still on dynalite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetBucketLocationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../bin/commands/redrive';
import { marshalledSlot } from '../../support/attribute-values';
import { ATTENTION_INDEX, pendingShardOf } from '../../../lambda/shared/contract';
import type { SlotValue } from '../../../lambda/core';
import { createTable } from '../../../tools/local-pipeline/provision';
import { runCli } from '../../support/run-cli';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');
const TABLE = 'redrive-records';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };

let server: { listen(port: number, host: string, cb: () => void): void; close(cb: () => void): void; address(): AddressInfo };
let endpoint = '';

const write = (at: number, bytes = 10): SlotValue => ({ at, tie: `0|PutObject|${bytes}`, what: 'PutObject', bytes, byReplication: 0 });
const replica = (at: number): SlotValue => ({ at, tie: '1|PutObject|10', what: 'PutObject', bytes: 10, byReplication: 1 });
const failure = (at: number, reason: string): SlotValue => ({ at, tie: reason, what: reason });
const check = (at: number, status: string): SlotValue => ({ at, tie: status, what: status });

async function putVersion(
  client: DynamoDBClient,
  key: string,
  versionId: string,
  slots: Record<string, SlotValue>,
  attention: 'FAILED' | 'OVERDUE',
  since: number,
) {
  const item: Record<string, AttributeValue> = { pk: { S: key }, sk: { S: versionId } };
  for (const [name, value] of Object.entries(slots)) item[name] = marshalledSlot(value);
  item[ATTENTION_INDEX.partitionKey] = { S: pendingShardOf(key, versionId) };
  item[ATTENTION_INDEX.sortKey] = { N: String(since) };
  item[ATTENTION_INDEX.stateAttribute] = { S: attention };
  await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  // The harness's createTable waits for ACTIVE: dynalite creates asynchronously.
  await createTable(client, TABLE);
  // Failed to dst-bucket: a failure notice with S3's reason.
  await putVersion(
    client,
    'Tax/2026 Q1+final.pdf',
    'va1',
    { 'w:src-bucket': write(T0), 'f:src-bucket>dst-bucket': failure(T0 + 5000, 'DstPutObjectNotPermitted') },
    'FAILED',
    T0,
  );
  // Failed by HeadObject's aggregate status.
  await putVersion(
    client,
    'naïve,file',
    'vb1',
    { 'w:src-bucket': write(T0 + 1000), 'c:src-bucket': check(T0 + 60_000, 'FAILED') },
    'FAILED',
    T0 + 1000,
  );
  // The index still says FAILED, but the replica has since arrived: not redriven.
  await putVersion(
    client,
    'done',
    'vc1',
    { 'w:src-bucket': write(T0 + 2000), 'f:src-bucket>dst-bucket': failure(T0 + 3000, 'Unknown'), 'w:dst-bucket': replica(T0 + 9000) },
    'FAILED',
    T0 + 2000,
  );
  // Failed to another destination only.
  await putVersion(
    client,
    'elsewhere',
    've1',
    { 'w:src-bucket': write(T0 + 3000), 'f:src-bucket>dst-two': failure(T0 + 4000, 'DstKmsKeyNotFound') },
    'FAILED',
    T0 + 3000,
  );
  // Issue 15: the classes data and metadata are redriven: a completed version whose tags did not replicate is;
  // a source version deleted before it replicated and a delete marker are not (the sweep marks none of them FAILED,
  // but an index entry must not be enough either).
  await putVersion(
    client,
    'tags.csv',
    'vt1',
    {
      'w:src-bucket': write(T0 - 1000),
      'w:dst-bucket': replica(T0 + 1000),
      'm:src-bucket>dst-bucket': failure(T0 + 60_000, 'DstPutTaggingNotPermitted'),
    },
    'FAILED',
    T0 - 1000,
  );
  await putVersion(
    client,
    'gone.csv',
    'vg1',
    { 'w:src-bucket': write(T0 - 2000), 'f:src-bucket>dst-bucket': failure(T0 + 1000, 'SrcVersionNotFound') },
    'FAILED',
    T0 - 2000,
  );
  await putVersion(
    client,
    'marker.csv',
    'vm1',
    { 'f:src-bucket>dst-bucket': failure(T0 - 3000, 'DstDelObjNotPermitted') },
    'FAILED',
    T0 - 3000,
  );
  // Overdue: written long ago, nothing since.
  await putVersion(client, 'late', 'vd1', { 'w:src-bucket': write(T0 - 3_600_000) }, 'OVERDUE', T0 - 3_600_000);
  client.destroy();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The manifest's lines, in a fixed order (the tool writes them shard by shard; order carries no meaning). */
const lines = (csv: string) => csv.split('\n').filter(Boolean).sort();
const FAILED_LINES = ['src-bucket,Tax%2F2026%20Q1%2Bfinal.pdf,va1', 'src-bucket,na%C3%AFve%2Cfile,vb1', 'src-bucket,tags.csv,vt1'];

const PAIR = ['--pair', 'src-bucket=dst-bucket', '--table', TABLE];

describe('crr-monitor redrive (binary)', () => {
  it('prints the manifest of the failed versions of the pair (classes data and metadata), keys URL-encoded, and the count on stderr', async () => {
    const result = await runCli(['redrive', ...PAIR, '--manifest', '-'], { env: { ...ENV, AWS_ENDPOINT_URL: endpoint } });
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(lines(result.stdout)).toEqual(FAILED_LINES);
    expect(result.stderr).toContain(`3 failed version(s) of src-bucket → dst-bucket in table ${TABLE}`);
    expect(result.stderr).toContain('Dry run: nothing was started');
  });

  it('selects overdue versions, and the source-time window', async () => {
    const overdue = await runCli(['redrive', ...PAIR, '--state', 'overdue', '--manifest', '-'], {
      env: { ...ENV, AWS_ENDPOINT_URL: endpoint },
    });
    expect(overdue.stdout).toBe('src-bucket,late,vd1\n');
    const since = new Date(T0 + 500).toISOString();
    const windowed = await runCli(['redrive', ...PAIR, '--since', since, '--manifest', '-', '--format', 'json'], {
      env: { ...ENV, AWS_ENDPOINT_URL: endpoint },
    });
    expect(windowed.stdout).toBe('src-bucket,na%C3%AFve%2Cfile,vb1\n');
    expect(JSON.parse(windowed.stderr)).toMatchObject({ count: 1, state: 'failed', manifest: '-', table: TABLE });
  });

  it('exits 2 on usage errors', async () => {
    const cases: [string[], string][] = [
      [['redrive', '--table', TABLE], 'exactly one --pair'],
      [['redrive', ...PAIR, '--state', 'pending'], '--state pending: expected failed or overdue'],
      [['redrive', ...PAIR, '--execute'], '--execute needs --report-bucket'],
      [['redrive', ...PAIR, '--report-bucket', 'b'], 'apply only with --execute'],
      [['redrive', ...PAIR, '--since', 'yesterday'], '--since yesterday: expected an ISO-8601 time'],
      [['redrive', '--pair', 'src-bucket=dst-bucket', '--table', 't', '--stack', 's'], 'give --table or --stack, not both'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env: ENV });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });
});

describe('crr-monitor redrive --execute', () => {
  const manifest = path.join(__dirname, `redrive-${process.pid}.csv`);
  const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  beforeAll(() => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    Object.assign(process.env, ENV);
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    else process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
    fs.rmSync(manifest, { force: true });
  });

  it('uploads the manifest and starts an S3ReplicateObject job in the source bucket region, printing how to follow it', async () => {
    const s3 = mockClient(S3Client);
    const sts = mockClient(STSClient);
    const control = mockClient(S3ControlClient);
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'us-west-2' });
    let uploaded = '';
    s3.on(PutObjectCommand).callsFake(async (input) => {
      for await (const chunk of input.Body) uploaded += chunk;
      return { ETag: '"e7d1"' };
    });
    sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222', Arn: 'arn:aws:iam::222222222222:user/op', UserId: 'X' });
    control.on(CreateJobCommand).resolves({ JobId: '8f2b1c4e-job' });
    const out: string[] = [];
    try {
      const code = await run(
        [
          ...PAIR,
          '--manifest',
          manifest,
          '--execute',
          '--report-bucket',
          'ops-reports',
          '--role-arn',
          'arn:aws:iam::222222222222:role/batch',
        ],
        { out: (t) => out.push(t), err: (t) => out.push(t) },
      );
      expect(code).toBe(0);
      expect(lines(fs.readFileSync(manifest, 'utf8'))).toEqual(FAILED_LINES);
      const job = control.commandCalls(CreateJobCommand)[0].args[0].input;
      expect(job).toMatchObject({
        AccountId: '222222222222',
        ConfirmationRequired: false,
        Operation: { S3ReplicateObject: {} },
        RoleArn: 'arn:aws:iam::222222222222:role/batch',
        Manifest: {
          Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
          Location: { ETag: 'e7d1' },
        },
        Report: { Bucket: 'arn:aws:s3:::ops-reports', Enabled: true, ReportScope: 'AllTasks' },
      });
      const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
      expect(job.Manifest?.Location?.ObjectArn).toBe(`arn:aws:s3:::ops-reports/${put.Key}`);
      expect(uploaded).toBe(fs.readFileSync(manifest, 'utf8'));
      expect(await control.call(0).thisValue.config.region()).toBe('us-west-2');
      const text = out.join('');
      expect(text).toContain('S3 Batch Replication job 8f2b1c4e-job started in us-west-2');
      expect(text).toContain('aws s3control describe-job --account-id 222222222222 --job-id 8f2b1c4e-job --region us-west-2');
    } finally {
      s3.restore();
      sts.restore();
      control.restore();
    }
  });
});
