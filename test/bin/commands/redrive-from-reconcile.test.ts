/**
 * `crr-monitor redrive --from-reconcile FILE`: the manifest `reconcile --manifest` wrote, checked line by line, then
 * (with --execute) uploaded and an S3 Batch Replication job started over it: the binary for the dry run and the
 * refusals, in process with S3, STS and S3 Control mocked (aws-sdk-client-mock) for --execute.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetBucketLocationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../bin/commands/redrive';
import { runCli } from '../../support/run-cli';
import { writeInventory } from '../../support/inventory';

const T = Date.parse('2026-11-20T00:00:00Z');
const OLD = T - 86_400_000;
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };

let dir: string;
let manifest: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redrive-reconcile-'));
  const source = await writeInventory({
    root: dir,
    bucket: 'src-a',
    format: 'CSV',
    createdAt: T,
    rows: [
      { key: 'a b/ü.txt', versionId: 'V1', status: 'FAILED', lastModified: OLD },
      { key: 'ok.txt', versionId: 'V2', status: 'COMPLETED', lastModified: OLD },
      { key: 'lost.txt', versionId: 'V3', status: 'COMPLETED', lastModified: OLD },
    ],
  });
  const replica = await writeInventory({
    root: dir,
    bucket: 'dst-b',
    format: 'Parquet',
    createdAt: T,
    rows: [{ key: 'ok.txt', versionId: 'V2', status: 'REPLICA', lastModified: OLD }],
  });
  manifest = path.join(dir, 'from-reconcile.csv');
  const result = await runCli([
    'reconcile',
    '--pair',
    'src-a=dst-b',
    '--inventory',
    source.manifest,
    '--inventory',
    replica.manifest,
    '--manifest',
    manifest,
  ]);
  expect(result.code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('crr-monitor redrive --from-reconcile', () => {
  it('reads the manifest reconcile wrote (dry run)', async () => {
    expect(fs.readFileSync(manifest, 'utf8')).toBe('src-a,a%20b%2F%C3%BC.txt,V1\nsrc-a,lost.txt,V3\n');
    const result = await runCli(['redrive', '--pair', 'src-a=dst-b', '--from-reconcile', manifest, '--format', 'json'], { env: ENV });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ source: 'src-a', destination: 'dst-b', from: 'reconcile', count: 2, manifest });
  });

  it('refuses a file that is not a manifest of the pair, naming the line', async () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'src-a,ok.txt,V1\nother-bucket,x.txt,V2\n');
    const other = await runCli(['redrive', '--pair', 'src-a=dst-b', '--from-reconcile', bad], { env: ENV });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`${bad} line 2: bucket other-bucket, not the pair's source src-a`);
    fs.writeFileSync(bad, 'src-a,a b.txt,V1\n');
    const raw = await runCli(['redrive', '--pair', 'src-a=dst-b', '--from-reconcile', bad], { env: ENV });
    expect(raw.code).toBe(1);
    expect(raw.stderr).toContain('line 1: the key is not URL-encoded');
  });

  it('takes none of the table options', async () => {
    const result = await runCli(['redrive', '--pair', 'src-a=dst-b', '--from-reconcile', manifest, '--state', 'overdue'], { env: ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--state does not apply with --from-reconcile');
  });

  it('--execute uploads exactly that file and starts the job', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    const s3 = mockClient(S3Client);
    const sts = mockClient(STSClient);
    const control = mockClient(S3ControlClient);
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-2' });
    let uploaded = '';
    s3.on(PutObjectCommand).callsFake(async (input) => {
      for await (const chunk of input.Body) uploaded += chunk;
      return { ETag: '"abc"' };
    });
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    control.on(CreateJobCommand).resolves({ JobId: 'job-1' });
    const out: string[] = [];
    try {
      const code = await run(
        [
          '--pair',
          'src-a=dst-b',
          '--from-reconcile',
          manifest,
          '--execute',
          '--report-bucket',
          'ops-reports',
          '--role-arn',
          'arn:aws:iam::111122223333:role/batch',
        ],
        { out: (t) => out.push(t), err: (t) => out.push(t) },
      );
      expect(code).toBe(0);
      expect(uploaded).toBe(fs.readFileSync(manifest, 'utf8'));
      const job = control.commandCalls(CreateJobCommand)[0].args[0].input;
      expect(job).toMatchObject({
        AccountId: '111122223333',
        Operation: { S3ReplicateObject: {} },
        Manifest: { Location: { ETag: 'abc' } },
      });
      expect(job.Description).toBe('crr-monitor redrive src-a -> dst-b: 2 versions');
      expect(await control.call(0).thisValue.config.region()).toBe('eu-west-2');
      expect(out.join('')).toContain('S3 Batch Replication job job-1 started in eu-west-2');
    } finally {
      s3.restore();
      sts.restore();
      control.restore();
      process.env = saved;
    }
  });
});
