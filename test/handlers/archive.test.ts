import type { DynamoDBStreamEvent } from 'aws-lambda';
import { changeFor, applyChange, type S3ChangeEvent, type VersionRecord } from '../../lambda/core';
import { marshalledSlot } from '../support/attribute-values';
import { createArchiveHandler } from '../../lambda/archive/archive';
import { memoryLogger } from '../support/memory-logger';

const T = Date.parse('2026-11-20T10:00:00Z');
const recordOf = (events: S3ChangeEvent[]): VersionRecord => events.reduce<VersionRecord | undefined>((r, e) => applyChange(r, changeFor(e)!), undefined)!;
const image = (record: VersionRecord, extra: Record<string, unknown>) => ({
  pk: { S: record.key },
  sk: { S: record.versionId },
  ...Object.fromEntries(Object.entries(record.slots).map(([k, v]) => [k, marshalledSlot(v)])),
  ...extra,
});

test('settled records become one JSON line per final pair; pending ones are not archived', async () => {
  const lines: string[] = [];
  const archive = createArchiveHandler({
    sink: { put: async (l) => void lines.push(...l) },
    pairs: [{ source: 's', destination: 'd1' }, { source: 's', destination: 'd2' }],
    overdueMillis: 900_000,
    logger: memoryLogger(),
    now: () => T + 60_000,
  });
  const done = recordOf([
    { type: 'write', bucket: 's', key: 'a b', versionId: 'v', at: T, operation: 'PutObject', bytes: 10, byReplication: false },
    { type: 'write', bucket: 'd1', key: 'a b', versionId: 'v', at: T + 4000, operation: 'PutObject', bytes: 10, byReplication: true },
    { type: 'replication', notice: 'OperationFailedReplication', bucket: 's', destination: 'd2', key: 'a b', versionId: 'v', at: T + 9000, failureReason: 'DstKmsKeyNotFound' },
  ]);
  const pending = recordOf([{ type: 'write', bucket: 's', key: 'p', versionId: 'v', at: T, operation: 'PutObject', byReplication: false }]);
  const event = {
    Records: [
      { eventName: 'MODIFY', dynamodb: { NewImage: image(done, { reported: { S: 'd1=COMPLETED,d2=FAILED' } }) } },
      { eventName: 'INSERT', dynamodb: { NewImage: image(pending, { pendingShard: { S: '3' }, pendingSince: { N: String(T) } }) } },
      { eventName: 'REMOVE', dynamodb: {} },
    ],
  } as unknown as DynamoDBStreamEvent;
  await expect(archive(event)).resolves.toEqual({ archived: 2 });
  expect(lines.map((l) => JSON.parse(l))).toEqual([
    { source: 's', destination: 'd1', key: 'a b', versionId: 'v', state: 'COMPLETED', sourceTime: '2026-11-20T10:00:00.000Z', sourceAt: T, replicaTime: '2026-11-20T10:00:04.000Z', latencySeconds: 4, bytes: 10, failureReason: null, pendingSeconds: null },
    { source: 's', destination: 'd2', key: 'a b', versionId: 'v', state: 'FAILED', sourceTime: '2026-11-20T10:00:00.000Z', sourceAt: T, replicaTime: null, latencySeconds: null, bytes: 10, failureReason: 'DstKmsKeyNotFound', pendingSeconds: null },
  ]);
});

test('a Firehose failure propagates so the stream batch is retried', async () => {
  const archive = createArchiveHandler({
    sink: { put: async () => { throw new Error('Firehose rejected 1 record(s)'); } },
    pairs: [{ source: 's', destination: 'd1' }],
    overdueMillis: 900_000,
    logger: memoryLogger(),
  });
  const done = recordOf([
    { type: 'write', bucket: 's', key: 'k', versionId: 'v', at: T, operation: 'PutObject', byReplication: false },
    { type: 'write', bucket: 'd1', key: 'k', versionId: 'v', at: T + 1000, operation: 'PutObject', byReplication: true },
  ]);
  const event = { Records: [{ eventName: 'MODIFY', dynamodb: { NewImage: image(done, { reported: { S: 'd1=COMPLETED' } }) } }] } as unknown as DynamoDBStreamEvent;
  await expect(archive(event)).rejects.toThrow('Firehose rejected');
});
