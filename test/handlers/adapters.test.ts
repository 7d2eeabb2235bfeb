/** The adapters' AWS requests, with aws-sdk-client-mock (CloudWatch and Firehose have no emulator). */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { HeadObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { changeFor } from '../../lambda/core';
import { DynamoRecordStore, pendingMarkFor, updateFor } from '../../lambda/adapters/dynamodb';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import { FirehoseArchiveSink } from '../../lambda/adapters/firehose';
import { CloudWatchMetricsSink, type MetricDatum } from '../../lambda/adapters/metrics';
import { S3ClientsByBucket, S3ObjectInspector } from '../../lambda/adapters/s3';

const T = Date.parse('2026-11-20T10:15:28Z');
const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('DynamoDB: one conditional UpdateItem per event', () => {
  const write = changeFor({ type: 'write', bucket: 'src', key: 'a b+ü', versionId: 'v1', at: T, operation: 'PutObject', bytes: 7, byReplication: false })!;
  const failure = changeFor({ type: 'replication', notice: 'OperationFailedReplication', bucket: 'src', destination: 'dst', key: 'k', versionId: 'v', at: T, requestedAt: T - 5000, failureReason: 'DstKmsKeyNotFound' })!;

  const NOW = T + 60_000;
  test('earliest slot: SET slot + TTL + due attributes, condition keeps the smallest (at, tie)', () => {
    const input = updateFor('table', write, 1_800_000_000, pendingMarkFor(write, new Set(['src']), 15 * 60_000, NOW));
    expect(input).toEqual({
      TableName: 'table',
      Key: { pk: { S: 'a b+ü' }, sk: { S: 'v1' } },
      UpdateExpression: 'SET #slot = :value, #ttl = :ttl, #shard = if_not_exists(#shard, :shard), #due = if_not_exists(#due, :due)',
      ConditionExpression: 'attribute_not_exists(#slot) OR #slot.#at > :at OR (#slot.#at = :at AND #slot.#tie > :tie)',
      ExpressionAttributeNames: { '#slot': 'w:src', '#at': 'at', '#tie': 'tie', '#ttl': 'expiresAt', '#shard': 'dueShard', '#due': 'dueAt' },
      ExpressionAttributeValues: {
        ':value': { M: { at: { N: String(T) }, tie: { S: '0|PutObject|7' }, what: { S: 'PutObject' }, bytes: { N: '7' }, byReplication: { N: '0' } } },
        ':at': { N: String(T) },
        ':tie': { S: '0|PutObject|7' },
        ':ttl': { N: '1800000000' },
        ':shard': { S: expect.stringMatching(/^([0-9]|1[0-5])$/) },
        ':due': { N: String(Math.max(T + 15 * 60_000, NOW + 60_000)) },
      },
    });
  });

  test('latest slot mirrors the condition; a replica bucket write sets no pending attributes', () => {
    const input = updateFor('table', failure, 1, pendingMarkFor(failure, new Set(['src']), 15 * 60_000, T - 20 * 60_000));
    expect(input.ConditionExpression).toBe('attribute_not_exists(#slot) OR #slot.#at < :at OR (#slot.#at = :at AND #slot.#tie < :tie)');
    // Due when the source's request time (not the notice's) is 15 minutes old.
    expect(input.ExpressionAttributeValues[':due']).toEqual({ N: String(T - 5000 + 15 * 60_000) });
    const replica = changeFor({ type: 'write', bucket: 'dst', key: 'k', versionId: 'v', at: T, operation: 'PutObject', byReplication: true })!;
    expect(pendingMarkFor(replica, new Set(['src']))).toBeUndefined();
    expect(updateFor('table', replica, 1).UpdateExpression).toBe('SET #slot = :value, #ttl = :ttl');
  });

  test('ConditionalCheckFailed is success (duplicate/superseded); throttling throws; TTL from retentionHours', async () => {
    const ddb = mockClient(DynamoDBClient);
    const store = new DynamoRecordStore({ client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 't', retentionHours: 2, now: () => 1_000_000_000_000 });
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(awsError('ConditionalCheckFailedException', 400)).rejectsOnce(awsError('ProvisionedThroughputExceededException', 400));
    await expect(store.apply(write)).resolves.toBe('applied');
    await expect(store.apply(write)).resolves.toBe('unchanged');
    await expect(store.apply(write)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input.ExpressionAttributeValues![':ttl']).toEqual({ N: String(1_000_000_000 + 7200) });
    ddb.restore();
  });
});

describe('CloudWatch metrics', () => {
  test('PutMetricData is batched at 1,000 metrics per request', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
    const data: MetricDatum[] = Array.from({ length: 2500 }, (_, i) => ({ MetricName: 'ReplicationObjects', Value: i, Unit: 'Count' }));
    await new CloudWatchMetricsSink(new CloudWatchClient({ region: 'us-east-1' })).put('CRRMonitor', data);
    const calls = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.MetricData!.length)).toEqual([1000, 1000, 500]);
    expect(calls.every((c) => c.Namespace === 'CRRMonitor')).toBe(true);
    expect(calls[2].MetricData![0].Value).toBe(2000);
    cw.restore();
  });

});

describe('Firehose archive', () => {
  test('retries only the failed entries of a partial batch, then succeeds', async () => {
    const fh = mockClient(FirehoseClient);
    fh.on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 2, RequestResponses: [{ RecordId: '1' }, { ErrorCode: 'ServiceUnavailableException' }, { RecordId: '3' }, { ErrorCode: 'ServiceUnavailableException' }] })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'a' }, { RecordId: 'b' }] });
    await new FirehoseArchiveSink(new FirehoseClient({ region: 'us-east-1' }), 'archive', { backoffMillis: 1 }).put(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}']);
    const calls = fh.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString()));
    expect(calls).toEqual([['{"n":0}\n', '{"n":1}\n', '{"n":2}\n', '{"n":3}\n'], ['{"n":1}\n', '{"n":3}\n']]);
    fh.restore();
  });

  test('gives up with an error (so the stream batch is retried) when entries keep failing; 500 records per call', async () => {
    const fh = mockClient(FirehoseClient);
    fh.on(PutRecordBatchCommand).callsFake((input) => ({ FailedPutCount: 1, RequestResponses: input.Records.map((_: unknown, i: number) => (i === 0 ? { ErrorCode: 'InternalFailure' } : { RecordId: 'x' })) }));
    const sink = new FirehoseArchiveSink(new FirehoseClient({ region: 'us-east-1' }), 'archive', { attempts: 3, backoffMillis: 1 });
    await expect(sink.put(Array.from({ length: 501 }, (_, i) => `{"n":${i}}`))).rejects.toThrow(/1 record\(s\) after 3 attempts \(InternalFailure\)/);
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
      Credentials: { AccessKeyId: 'AKIAAGENT', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) },
    });
    const s3 = mockClient(S3Client);
    s3.on(HeadObjectCommand).resolves({ ReplicationStatus: 'PENDING' });
    const clients = new S3ClientsByBucket({ 'remote-src': 'arn:aws:iam::444455556666:role/crr-monitor-agent' }, { region: 'us-east-1' }, new STSClient({ region: 'us-east-1' }));
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
  await new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'https://sqs/dlq').send({ body: 'junk', reason: 'not valid JSON', messageId: 'm-1', source: 'arn:q' });
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
