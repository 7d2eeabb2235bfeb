/** The adapters' AWS requests, with aws-sdk-client-mock (Firehose and S3 have no emulator here). */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { HeadObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsDeadLetters } from '../../../lambda/adapters/dead-letters';
import { FirehoseArchiveSink } from '../../../lambda/adapters/firehose';
import { S3ClientsByBucket, S3ObjectInspector } from '../../../lambda/adapters/s3';

const T = Date.parse('2026-11-20T10:15:28Z');
const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('Firehose archive', () => {
  test('retries only the failed entries of a partial batch, then succeeds', async () => {
    const fh = mockClient(FirehoseClient);
    fh.on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 2,
        RequestResponses: [
          { RecordId: '1' },
          { ErrorCode: 'ServiceUnavailableException' },
          { RecordId: '3' },
          { ErrorCode: 'ServiceUnavailableException' },
        ],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'a' }, { RecordId: 'b' }] });
    await new FirehoseArchiveSink(new FirehoseClient({ region: 'us-east-1' }), 'archive', { backoffMillis: 1 }).put([
      '{"n":0}',
      '{"n":1}',
      '{"n":2}',
      '{"n":3}',
    ]);
    const calls = fh.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString()));
    expect(calls).toEqual([
      ['{"n":0}\n', '{"n":1}\n', '{"n":2}\n', '{"n":3}\n'],
      ['{"n":1}\n', '{"n":3}\n'],
    ]);
    fh.restore();
  });

  test('gives up with an error (so the stream batch is retried) when entries keep failing; 500 records per call', async () => {
    const fh = mockClient(FirehoseClient);
    fh.on(PutRecordBatchCommand).callsFake((input) => ({
      FailedPutCount: 1,
      RequestResponses: input.Records.map((_: unknown, i: number) => (i === 0 ? { ErrorCode: 'InternalFailure' } : { RecordId: 'x' })),
    }));
    const sink = new FirehoseArchiveSink(new FirehoseClient({ region: 'us-east-1' }), 'archive', { attempts: 3, backoffMillis: 1 });
    await expect(sink.put(Array.from({ length: 501 }, (_, i) => `{"n":${i}}`))).rejects.toThrow(
      /1 record\(s\) after 3 attempts \(InternalFailure\)/,
    );
    expect(fh.commandCalls(PutRecordBatchCommand)[0].args[0].input.Records).toHaveLength(500);
    fh.restore();
  });
});

describe('S3 HeadObject', () => {
  test('status, 403 and 404 are answers; other errors throw', async () => {
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand, { Key: 'ok' }).resolves({ ReplicationStatus: 'COMPLETED', ContentLength: 5 });
    s3.on(HeadObjectCommand, { Key: 'denied' }).rejects(awsError('Forbidden', 403));
    s3.on(HeadObjectCommand, { Key: 'gone' }).rejects(awsError('NotFound', 404));
    s3.on(HeadObjectCommand, { Key: 'slow' }).rejects(awsError('SlowDown', 503));
    const inspector = new S3ObjectInspector({ for: () => new S3Client({ region: 'us-east-1' }) });
    await expect(inspector.head('b', 'ok', 'v')).resolves.toEqual({ outcome: 'found', status: 'COMPLETED', bytes: 5 });
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({ Bucket: 'b', Key: 'ok', VersionId: 'v' });
    await expect(inspector.head('b', 'denied', 'v')).resolves.toEqual({ outcome: 'forbidden' });
    await expect(inspector.head('b', 'gone', 'v')).resolves.toEqual({ outcome: 'not-found' });
    await expect(inspector.head('b', 'slow', 'v')).rejects.toThrow('SlowDown');
    s3.restore();
  });

  test('COMPLETE (the SDK enum has it) reads as COMPLETED; REPLICA kept; an unknown status is reported verbatim, never as "no status"', async () => {
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand, { Key: 'complete' }).resolves({ ReplicationStatus: 'COMPLETE' });
    s3.on(HeadObjectCommand, { Key: 'replica' }).resolves({ ReplicationStatus: 'REPLICA' });
    s3.on(HeadObjectCommand, { Key: 'odd' }).resolves({ ReplicationStatus: 'SOMETHING_NEW' as never });
    s3.on(HeadObjectCommand, { Key: 'none' }).resolves({});
    const inspector = new S3ObjectInspector({ for: () => new S3Client({ region: 'us-east-1' }) });
    await expect(inspector.head('b', 'complete', 'v')).resolves.toEqual({ outcome: 'found', status: 'COMPLETED' });
    await expect(inspector.head('b', 'replica', 'v')).resolves.toEqual({ outcome: 'found', status: 'REPLICA' });
    await expect(inspector.head('b', 'odd', 'v')).resolves.toEqual({ outcome: 'found', unknownStatus: 'SOMETHING_NEW' });
    await expect(inspector.head('b', 'none', 'v')).resolves.toEqual({ outcome: 'found' });
    s3.restore();
  });

  test('a remote source bucket is read through the agent role, assumed once and cached', async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIAAGENT',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand).resolves({ ReplicationStatus: 'PENDING' });
    const clients = new S3ClientsByBucket(
      { 'remote-src': 'arn:aws:iam::444455556666:role/crr-monitor-agent' },
      { region: 'us-east-1' },
      new STSClient({ region: 'us-east-1' }),
    );
    // The mock replaces send(), so resolve the client's credentials as a request would, twice.
    const first = await clients.for('remote-src').config.credentials();
    const second = await clients.for('remote-src').config.credentials();
    expect(first).toMatchObject({ accessKeyId: 'AKIAAGENT', sessionToken: 'token' });
    expect(second).toBe(first);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input.RoleArn).toBe('arn:aws:iam::444455556666:role/crr-monitor-agent');
    expect(clients.for('local-bucket')).not.toBe(clients.for('remote-src'));
    sts.restore();
    s3.restore();
  });

  test('resolveVersion: current version when its Last-Modified matches the event time, else ListObjectVersions', async () => {
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand, { Key: 'fresh' }).resolves({ VersionId: 'cur', LastModified: new Date(T + 1000) });
    s3.on(HeadObjectCommand, { Key: 'overwritten' }).resolves({ VersionId: 'newer', LastModified: new Date(T + 60_000) });
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'overwritten', VersionId: 'newer', LastModified: new Date(T + 60_000) },
        { Key: 'overwritten', VersionId: 'ours', LastModified: new Date(T) },
        { Key: 'overwritten-too', VersionId: 'other', LastModified: new Date(T) },
      ],
    });
    const inspector = new S3ObjectInspector({ for: () => new S3Client({ region: 'us-east-1' }) });
    await expect(inspector.resolveVersion('b', 'fresh', T)).resolves.toBe('cur');
    await expect(inspector.resolveVersion('b', 'overwritten', T)).resolves.toBe('ours');
    await expect(inspector.resolveVersion('b', 'overwritten', T - 3_600_000)).resolves.toBeUndefined();
    s3.restore();
  });
});

test('DLQ: SendMessage carries the original body and the reason as message attributes', async () => {
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({});
  await new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'https://sqs/dlq').send({
    body: 'junk',
    reason: 'not valid JSON',
    messageId: 'm-1',
    source: 'arn:q',
  });
  expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input).toEqual({
    QueueUrl: 'https://sqs/dlq',
    MessageBody: 'junk',
    MessageAttributes: {
      reason: { DataType: 'String', StringValue: 'not valid JSON' },
      originalMessageId: { DataType: 'String', StringValue: 'm-1' },
      sourceQueue: { DataType: 'String', StringValue: 'arn:q' },
    },
  });
  sqs.restore();
});
