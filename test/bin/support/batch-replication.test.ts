import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { createJobInput, encodeManifestKey, manifestLine, startReplicationJob } from '../../../bin/support/batch-replication';

describe('manifest keys', () => {
  it('percent-encodes spaces, plus signs, percent signs, commas, quotes, slashes and unicode', () => {
    expect(encodeManifestKey('a b+c%d,e"f/g')).toBe('a%20b%2Bc%25d%2Ce%22f%2Fg');
    expect(encodeManifestKey("it's (1)*!")).toBe('it%27s%20%281%29%2A%21');
    expect(encodeManifestKey('naïve/日本.txt')).toBe('na%C3%AFve%2F%E6%97%A5%E6%9C%AC.txt');
    expect(encodeManifestKey('line\nbreak')).toBe('line%0Abreak');
  });

  it('decodes back to the key however the reader treats +, and leaves nothing that breaks a CSV line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (key) => {
        const encoded = encodeManifestKey(key);
        expect(encoded).toMatch(/^[A-Za-z0-9%._~-]+$/);
        expect(decodeURIComponent(encoded)).toBe(key);
        expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(key);
      }),
    );
  });

  it('writes bucket,key,versionId lines and refuses a version ID that is not one', () => {
    expect(manifestLine('src-bucket', 'Tax/2026 Q1.pdf', 'PZ9ibn9D5lP6p298B7S9_ceqx1n5EJ0p')).toBe(
      'src-bucket,Tax%2F2026%20Q1.pdf,PZ9ibn9D5lP6p298B7S9_ceqx1n5EJ0p\n',
    );
    expect(manifestLine('b1', 'k', '3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo')).toBe(
      'b1,k,3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo\n',
    );
    expect(() => manifestLine('src-bucket', 'k', 'v1,evil')).toThrow(/not a version ID/);
    expect(() => manifestLine('src-bucket', 'k', 'v1\nb,k2,v2')).toThrow(/not a version ID/);
  });
});

describe('the Batch Replication job', () => {
  const request = {
    accountId: '222222222222',
    partition: 'aws',
    source: 'src-bucket',
    destination: 'dst-bucket',
    reportBucket: 'ops-reports',
    roleArn: 'arn:aws:iam::222222222222:role/batch-replication',
    count: 2,
    stamp: '2026-11-20T10-30-00-000Z',
  };

  it('asks for S3ReplicateObject over the CSV manifest with its ETag, reporting every task to the report bucket', () => {
    const input = createJobInput(
      { ...request, manifestFile: 'unused' },
      'crr-monitor/redrive/m.csv',
      '"60e460c9d1046e73f7dde5043ac3ae85"',
      'token-1',
    );
    expect(input).toEqual({
      AccountId: '222222222222',
      ConfirmationRequired: false,
      Operation: { S3ReplicateObject: {} },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: { ObjectArn: 'arn:aws:s3:::ops-reports/crr-monitor/redrive/m.csv', ETag: '60e460c9d1046e73f7dde5043ac3ae85' },
      },
      Report: {
        Enabled: true,
        Bucket: 'arn:aws:s3:::ops-reports',
        Prefix: 'crr-monitor/redrive/src-bucket/dst-bucket/2026-11-20T10-30-00-000Z',
        Format: 'Report_CSV_20180820',
        ReportScope: 'AllTasks',
      },
      Priority: 10,
      RoleArn: 'arn:aws:iam::222222222222:role/batch-replication',
      ClientRequestToken: 'token-1',
      Description: 'crr-monitor redrive src-bucket -> dst-bucket: 2 versions',
    });
  });

  it('uploads the manifest file, then creates the job naming the uploaded object and its ETag', async () => {
    const s3 = mockClient(S3Client);
    const control = mockClient(S3ControlClient);
    let uploaded = '';
    s3.on(PutObjectCommand).callsFake(async (input) => {
      for await (const chunk of input.Body) uploaded += chunk;
      return { ETag: '"abc123"' };
    });
    control.on(CreateJobCommand).resolves({ JobId: 'job-42' });
    const file = path.join(__dirname, `manifest-${process.pid}.csv`);
    fs.writeFileSync(file, 'src-bucket,a%20b,v1\n');
    try {
      const out = await startReplicationJob(
        { ...request, manifestFile: file },
        { s3: new S3Client({}), s3control: new S3ControlClient({}) },
      );
      expect(out).toEqual({
        jobId: 'job-42',
        manifestKey: 'crr-monitor/redrive/src-bucket/dst-bucket/2026-11-20T10-30-00-000Z/manifest.csv',
      });
      const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
      expect(put).toMatchObject({ Bucket: 'ops-reports', Key: out.manifestKey, ContentType: 'text/csv', ContentLength: 20 });
      expect(uploaded).toBe('src-bucket,a%20b,v1\n');
      const job = control.commandCalls(CreateJobCommand)[0].args[0].input;
      expect(job.Manifest?.Location).toEqual({ ObjectArn: `arn:aws:s3:::ops-reports/${out.manifestKey}`, ETag: 'abc123' });
      expect(job.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      fs.rmSync(file, { force: true });
      s3.restore();
      control.restore();
    }
  });
});
