/**
 * lambda/adapters/dynamodb.ts `apply`: the exact request (aws-sdk-client-mock), what the response and a condition
 * failure give back, and the same on dynalite (real protocol).
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { changeFor, type SlotChange } from '../../lambda/core';
import { DynamoRecordStore, dueMarkFor, slotToAttribute, updateFor, type DueRules } from '../../lambda/adapters/dynamodb';
import { storeFor, useEmulators } from '../support/pipeline';

const T = Date.parse('2026-11-20T10:15:28Z');
const awsError = (name: string, status: number, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
const write = changeFor({
  type: 'write',
  bucket: 'src',
  key: 'a b+ü',
  versionId: 'v1',
  at: T,
  operation: 'PutObject',
  bytes: 7,
  byReplication: false,
})!;
const replica = changeFor({
  type: 'write',
  bucket: 'dst',
  key: 'a b+ü',
  versionId: 'v1',
  at: T + 4000,
  operation: 'PutObject',
  bytes: 7,
  byReplication: true,
})!;
const failure = changeFor({
  type: 'replication',
  notice: 'OperationFailedReplication',
  bucket: 'src',
  destination: 'dst',
  key: 'k',
  versionId: 'v',
  at: T,
  requestedAt: T - 5000,
  failureReason: 'DstKmsKeyNotFound',
})!;
const RULES: DueRules = { sources: new Set(['src']), destinations: new Set(['dst']), overdueMillis: 900_000 };

describe('dueMarkFor', () => {
  test('source write: its time + the threshold, never before now + 60 s', () => {
    expect(dueMarkFor(write, RULES, T)).toEqual({ shard: expect.stringMatching(/^([0-9]|1[0-5])$/), dueAt: T + 900_000 });
    expect(dueMarkFor(write, RULES, T + 3_600_000)!.dueAt).toBe(T + 3_660_000);
  });
  test('failure notice: the request time; replica into a configured destination: its own time; checks and others: none', () => {
    expect(dueMarkFor(failure, RULES, T)!.dueAt).toBe(T - 5000 + 900_000);
    expect(dueMarkFor(replica, RULES, T)!.dueAt).toBe(T + 4000 + 900_000);
    const check = changeFor({ type: 'check', bucket: 'src', key: 'k', versionId: 'v', at: T, status: 'PENDING' })!;
    expect(dueMarkFor(check, RULES, T)).toBeUndefined();
    expect(dueMarkFor({ ...write, slot: 'w:elsewhere' }, RULES, T)).toBeUndefined();
  });
});

describe('updateFor', () => {
  test('token and due mark: lp before the slot, lw, if_not_exists on the due attributes, ALL_OLD both ways', () => {
    const input = updateFor('table', write, 1_800_000_000, { token: 'm-1#0@1', due: { shard: '3', dueAt: T + 900_000 } });
    expect(input).toEqual({
      TableName: 'table',
      Key: { pk: { S: 'a b+ü' }, sk: { S: 'v1' } },
      UpdateExpression:
        'SET #lp = if_not_exists(#slot, :null), #lw = :token, #slot = :value, #ttl = :ttl, ' +
        '#dueShard = if_not_exists(#dueShard, :dueShard), #dueAt = if_not_exists(#dueAt, :dueAt)',
      ConditionExpression: 'attribute_not_exists(#slot) OR #slot.#at > :at OR (#slot.#at = :at AND #slot.#tie > :tie)',
      ExpressionAttributeNames: {
        '#slot': 'w:src',
        '#at': 'at',
        '#tie': 'tie',
        '#ttl': 'expiresAt',
        '#lw': 'lw',
        '#lp': 'lp',
        '#dueShard': 'dueShard',
        '#dueAt': 'dueAt',
      },
      ExpressionAttributeValues: {
        ':value': {
          M: { at: { N: String(T) }, tie: { S: '0|PutObject|7' }, what: { S: 'PutObject' }, bytes: { N: '7' }, byReplication: { N: '0' } },
        },
        ':at': { N: String(T) },
        ':tie': { S: '0|PutObject|7' },
        ':ttl': { N: '1800000000' },
        ':token': { S: 'm-1#0@1' },
        ':null': { NULL: true },
        ':dueShard': { S: '3' },
        ':dueAt': { N: String(T + 900_000) },
      },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });
  test('latest slot mirrors the condition; without token or mark only the slot and TTL are set', () => {
    expect(updateFor('table', failure, 1).ConditionExpression).toBe(
      'attribute_not_exists(#slot) OR #slot.#at < :at OR (#slot.#at = :at AND #slot.#tie < :tie)',
    );
    expect(updateFor('table', replica, 1).UpdateExpression).toBe('SET #slot = :value, #ttl = :ttl');
  });
});

describe('apply (aws-sdk-client-mock): before from ALL_OLD, after from applyChange, and the lost-response retry', () => {
  const ddb = mockClient(DynamoDBClient);
  const store = new DynamoRecordStore({
    client: new DynamoDBClient({ region: 'us-east-1' }),
    tableName: 't',
    retentionHours: 2,
    now: () => 1_000_000_000_000,
  });
  const itemWith = (extra: Record<string, AttributeValue>) => ({ pk: { S: write.key }, sk: { S: write.versionId }, ...extra });
  afterEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  test('a write returns the record before (ALL_OLD) and after; TTL from retentionHours', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: itemWith({ [replica.slot]: slotToAttribute(replica.value) }) });
    const result = await store.apply(write, { token: 'm#0@1' });
    expect(result).toEqual({
      outcome: 'applied',
      recovered: false,
      before: { key: write.key, versionId: write.versionId, slots: { [replica.slot]: replica.value } },
      after: { key: write.key, versionId: write.versionId, slots: { [replica.slot]: replica.value, [write.slot]: write.value } },
    });
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input.ExpressionAttributeValues![':ttl']).toEqual({
      N: String(1_000_000_000 + 7200),
    });
  });

  test('no item before: before is undefined', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    expect(await store.apply(write)).toMatchObject({
      outcome: 'applied',
      before: undefined,
      after: { slots: { [write.slot]: write.value } },
    });
  });

  test('a condition failure on the first attempt is unchanged, even when the item carries our token (an earlier delivery)', async () => {
    const item = itemWith({ [write.slot]: slotToAttribute(write.value), lw: { S: 'm#0@1' }, lp: { NULL: true } });
    ddb
      .on(UpdateItemCommand)
      .rejects(awsError('ConditionalCheckFailedException', 400, { Item: item, $metadata: { httpStatusCode: 400, attempts: 1 } }));
    expect(await store.apply(write, { token: 'm#0@1' })).toEqual({ outcome: 'unchanged' });
  });

  test('after an SDK retry, our token and value in the item: the write was ours; before is rebuilt from lp', async () => {
    const earlier = { ...write.value, at: T + 9000, tie: '0|PutObject|7' };
    const item = itemWith({
      [write.slot]: slotToAttribute(write.value),
      lw: { S: 'm#0@2' },
      lp: slotToAttribute(earlier),
      [replica.slot]: slotToAttribute(replica.value),
    });
    ddb
      .on(UpdateItemCommand)
      .rejects(awsError('ConditionalCheckFailedException', 400, { Item: item, $metadata: { httpStatusCode: 400, attempts: 2 } }));
    expect(await store.apply(write, { token: 'm#0@2' })).toEqual({
      outcome: 'applied',
      recovered: true,
      before: { key: write.key, versionId: write.versionId, slots: { [write.slot]: earlier, [replica.slot]: replica.value } },
      after: { key: write.key, versionId: write.versionId, slots: { [write.slot]: write.value, [replica.slot]: replica.value } },
    });
  });

  test('after a retry, lp NULL means the slot was empty; another token, or another value, is not ours', async () => {
    const mine = itemWith({ [write.slot]: slotToAttribute(write.value), lw: { S: 'm#0@1' }, lp: { NULL: true } });
    const otherValue = { ...mine, [write.slot]: slotToAttribute({ ...write.value, at: T - 1 }) };
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(awsError('ConditionalCheckFailedException', 400, { Item: mine, $metadata: { attempts: 3 } }))
      .rejectsOnce(
        awsError('ConditionalCheckFailedException', 400, { Item: { ...mine, lw: { S: 'other#0@1' } }, $metadata: { attempts: 2 } }),
      )
      .rejectsOnce(awsError('ConditionalCheckFailedException', 400, { Item: otherValue, $metadata: { attempts: 2 } }));
    expect(await store.apply(write, { token: 'm#0@1' })).toMatchObject({ outcome: 'applied', recovered: true, before: undefined });
    expect(await store.apply(write, { token: 'm#0@1' })).toEqual({ outcome: 'unchanged' });
    expect(await store.apply(write, { token: 'm#0@1' })).toEqual({ outcome: 'unchanged' });
  });

  test('throttling throws (the message is retried)', async () => {
    ddb.on(UpdateItemCommand).rejects(awsError('ProvisionedThroughputExceededException', 400));
    await expect(store.apply(write)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('apply on dynalite', () => {
  const env = useEmulators();
  const raw = async (change: SlotChange) =>
    (
      await env.h.clients.dynamodb.send(
        new GetItemCommand({ TableName: env.table, Key: { pk: { S: change.key }, sk: { S: change.versionId } } }),
      )
    ).Item!;

  test('lp holds the slot as it was (operands read the old item), lw the token; a duplicate is unchanged', async () => {
    const store = storeFor(env.h, env.table);
    const later = { ...write, value: { ...write.value, at: T + 5000 } };
    expect(await store.apply(later, { token: 'a#0@1', due: { shard: '1', dueAt: T + 900_000 } })).toMatchObject({
      outcome: 'applied',
      before: undefined,
    });
    expect((await raw(later)).lp).toEqual({ NULL: true });
    const result = await store.apply(write, { token: 'b#0@1', due: { shard: '1', dueAt: T + 999_999 } });
    expect(result).toMatchObject({
      outcome: 'applied',
      before: { slots: { [write.slot]: later.value } },
      after: { slots: { [write.slot]: write.value } },
    });
    const item = await raw(write);
    expect(item.lp).toEqual(slotToAttribute(later.value));
    expect(item.lw).toEqual({ S: 'b#0@1' });
    // The first mark stays (if_not_exists).
    expect(item.dueAt).toEqual({ N: String(T + 900_000) });
    expect(await store.apply(write, { token: 'c#0@1' })).toEqual({ outcome: 'unchanged' });
    expect(await store.apply(later, { token: 'c#0@1' })).toEqual({ outcome: 'unchanged' });
  });
});
