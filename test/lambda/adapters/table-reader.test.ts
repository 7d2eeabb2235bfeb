/**
 * TableReader on dynalite (the table as tableDefinition creates it, both indexes): window bounds of `due`, paging,
 * the `attention` state filter, BatchGetItem in chunks of 100 with absent and repeated keys, and the cursor. The
 * UnprocessedKeys retry is driven with aws-sdk-client-mock on the DocumentClient the reader sends through (dynalite
 * never leaves keys unprocessed).
 */
import { DeleteTableCommand, DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { TableReader } from '../../../lambda/adapters/table-reader';
import { pendingShardOf, SWEEP_CURSOR } from '../../../lambda/shared/contract';
import { createTable } from '../../../tools/local-pipeline/provision';
import { useEmulators } from '../../support/pipeline';

const emulators = useEmulators();
/** Each test's own table, created from the schema's one definition (both indexes). */
const env = {
  get h() {
    return emulators.h;
  },
  table: '',
};
let tables = 0;
beforeEach(async () => {
  env.table = `reader-${++tables}`;
  // Waits for ACTIVE: dynalite creates asynchronously, and a loaded machine can outrun it.
  await createTable(env.h.clients.dynamodb, env.table);
});
afterEach(async () => {
  await env.h.clients.dynamodb.send(new DeleteTableCommand({ TableName: env.table }));
});

const slot = (at: number) => ({ M: { at: { N: String(at) }, tie: { S: '0|PutObject|' }, what: { S: 'PutObject' } } });

async function put(item: Record<string, AttributeValue>): Promise<void> {
  await env.h.clients.dynamodb.send(new PutItemCommand({ TableName: env.table, Item: item }));
}

async function putVersion(key: string, extra: Record<string, AttributeValue> = {}): Promise<void> {
  await put({ pk: { S: key }, sk: { S: 'v1' }, 'w:src': slot(1000), ...extra });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test('due: only entries with dueAt in (after, through] of that shard, ascending, across pages', async () => {
  for (let i = 0; i < 10; i++) await putVersion(`k${i}`, { dueShard: { S: '3' }, dueAt: { N: String(1000 + i * 100) } });
  await putVersion('other-shard', { dueShard: { S: '4' }, dueAt: { N: '1500' } });
  await putVersion('no-due');
  const reader = new TableReader({ client: env.h.clients.dynamodb, tableName: env.table, pageSize: 3 });
  const got = await collect(reader.due('3', 1200, 1700));
  // 1200 is excluded (already covered by the previous window), 1700 included.
  expect(got).toEqual([1300, 1400, 1500, 1600, 1700].map((dueAt) => ({ key: `k${(dueAt - 1000) / 100}`, versionId: 'v1', dueAt })));
  expect(await collect(reader.due('3', 1700, 1700))).toEqual([]);
  expect(await collect(reader.due('3', 0, 10_000))).toHaveLength(10);
});

test('attention: every problem of a shard, or one state; a version without attnState is not in it', async () => {
  await putVersion('late', { attnShard: { S: '7' }, attnSince: { N: '500' }, attnState: { S: 'OVERDUE' } });
  await putVersion('bad', { attnShard: { S: '7' }, attnSince: { N: '400' }, attnState: { S: 'FAILED' } });
  await putVersion('fine');
  const reader = new TableReader({ client: env.h.clients.dynamodb, tableName: env.table });
  expect(await collect(reader.attention('7'))).toEqual([
    { key: 'bad', versionId: 'v1', state: 'FAILED', since: 400 },
    { key: 'late', versionId: 'v1', state: 'OVERDUE', since: 500 },
  ]);
  expect(await collect(reader.attention('7', 'OVERDUE'))).toEqual([{ key: 'late', versionId: 'v1', state: 'OVERDUE', since: 500 }]);
  expect(await collect(reader.attention('8'))).toEqual([]);
});

test('get: 250 keys in chunks of 100, absent keys left out, repeated keys read once, index attributes decoded', async () => {
  const keys = Array.from({ length: 250 }, (_, i) => ({ key: `obj ${i}+ü/%`, versionId: 'v1' }));
  for (const [i, k] of keys.entries()) {
    if (i % 5 === 0) continue; // 50 absent
    const shard = pendingShardOf(k.key, k.versionId);
    await putVersion(k.key, {
      dueShard: { S: shard },
      dueAt: { N: String(9000 + i) },
      ...(i === 1 ? { attnShard: { S: shard }, attnSince: { N: '1000' }, attnState: { S: 'FAILED' } } : {}),
    });
  }
  const reader = new TableReader({ client: env.h.clients.dynamodb, tableName: env.table });
  const got = await reader.get([...keys, keys[1], keys[2]]);
  expect(got).toHaveLength(200);
  expect(new Set(got.map((s) => s.record.key))).toEqual(new Set(keys.filter((_, i) => i % 5 !== 0).map((k) => k.key)));
  const one = got.find((s) => s.record.key === keys[1].key)!;
  expect(one).toMatchObject({ dueShard: pendingShardOf(keys[1].key, 'v1'), dueAt: 9001, attention: { state: 'FAILED', since: 1000 } });
  expect(one.record.slots['w:src']).toMatchObject({ at: 1000, what: 'PutObject' });
  expect(await reader.get([])).toEqual([]);
});

test('cursor: 0 before the first sweep, then the stored `through`', async () => {
  const reader = new TableReader({ client: env.h.clients.dynamodb, tableName: env.table });
  expect(await reader.cursor()).toBe(0);
  await put({ pk: { S: SWEEP_CURSOR.pk }, sk: { S: SWEEP_CURSOR.sk }, [SWEEP_CURSOR.attribute]: { N: '123456' } });
  expect(await reader.cursor()).toBe(123456);
});

describe('get retries UnprocessedKeys (mocked: dynalite never throttles a batch)', () => {
  const item = (k: string) => ({ pk: k, sk: 'v', 'w:src': { at: 1, tie: '0|PutObject|', what: 'PutObject' } });
  const keyOf = (k: string) => ({ pk: k, sk: 'v' });
  // Every DocumentClient is mocked only inside this block: the tests above read dynalite through theirs.
  let mock: AwsClientStub<DynamoDBDocumentClient>;
  beforeEach(() => {
    mock = mockClient(DynamoDBDocumentClient);
  });
  afterEach(() => mock.restore());

  test('what DynamoDB left unprocessed is asked for again, with backoff, until it is read', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { t: [item('a')] }, UnprocessedKeys: { t: { Keys: [keyOf('b'), keyOf('c')] } } })
      .resolvesOnce({ Responses: { t: [item('b')] }, UnprocessedKeys: { t: { Keys: [keyOf('c')] } } })
      .resolvesOnce({ Responses: { t: [item('c')] } });
    const sleeps: number[] = [];
    const reader = new TableReader({ client, tableName: 't', sleep: async (n) => void sleeps.push(n) });
    const got = await reader.get(['a', 'b', 'c'].map((key) => ({ key, versionId: 'v' })));
    expect(got.map((s) => s.record.key).sort()).toEqual(['a', 'b', 'c']);
    const calls = mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!.t.Keys!.map((k) => k.pk));
    expect(calls).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
    expect(sleeps).toEqual([1, 2]);
  });

  test('keys still unprocessed after the last attempt are an error naming how many, not a silent gap', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    mock.on(BatchGetCommand).resolves({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: [keyOf('a')] } } });
    const reader = new TableReader({ client, tableName: 't', maxBatchAttempts: 3, sleep: async () => {} });
    await expect(reader.get([{ key: 'a', versionId: 'v' }])).rejects.toThrow(
      'BatchGetItem on t: 1 keys still unprocessed after 3 attempts',
    );
  });
});
