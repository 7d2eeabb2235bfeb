/**
 * The real sweep on dynalite, after the real drain: the due window and cursor, HeadObject per destination (issue 8.3),
 * the attention set, outcomes published by the sweep's own check writes (exactly once), untracked writes, and a sweep
 * that dies half-way or runs out of time (nothing lost, nothing doubled).
 *
 * Times are relative to the real clock: the interim drain sets dueAt = max(source + overdue, now + 60 s).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { marshalledSlot } from '../support/attribute-values';
import type { SlotChange } from '../../lambda/core';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { DynamoSweepWrites, type SweepWrites } from '../../lambda/adapters/sweep-writes';
import { TableReader } from '../../lambda/adapters/table-reader';
import { memoryLogger } from '../support/memory-logger';
import { createSweepHandler } from '../../lambda/sweep/sweep';
import { eventBridgeWrite, replicationNotification, s3EventBridgeWrite } from '../../tools/local-pipeline/events';
import { RecordingSweepMetrics } from '../../tools/local-pipeline/sweep';
import { drainFor, eventSourceFor, publish, readAll, storeFor, tableOf, useEmulators } from '../support/pipeline';

const SRC = 'logs-use1';
const DST = 'logs-euw1';
const DST2 = 'logs-apse2';
const OTHER = 'media-use2';
const OTHER_DST = 'media-usw2';
const PAIRS = [
  { source: SRC, destination: DST },
  { source: SRC, destination: DST2 },
  { source: OTHER, destination: OTHER_DST },
];
const MIN = 60_000;
// Source writes 20 minutes ago (whole seconds, as CloudTrail records them); threshold 15 minutes.
const T0 = Math.floor((Date.now() - 20 * MIN) / 1000) * 1000;
const SWEEP_AT = Date.now() + 2 * MIN;

const env = useEmulators();

/** HeadObject by "bucket/key"; a missing answer throws like a 503. */
class FakeS3 implements Pick<ObjectInspector, 'head'> {
  readonly calls: string[] = [];
  constructor(readonly answers: Record<string, HeadResult>) {}
  async head(bucket: string, key: string): Promise<HeadResult> {
    this.calls.push(`${bucket}/${key}`);
    const answer = this.answers[`${bucket}/${key}`];
    if (!answer) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    return answer;
  }
}

async function drainWrites(writes: [bucket: string, key: string, at: number, byReplication?: boolean][]): Promise<void> {
  const store = storeFor(env.h, env.table);
  for (const [bucket, key, at, byReplication] of writes) {
    await publish(env.h, eventBridgeWrite({ bucket, key, versionId: 'v', at, bytes: 1000, byReplication: !!byReplication }));
  }
  await eventSourceFor(env.h, drainFor(env.h, store, [SRC, OTHER])).run();
}

function sweepFor(
  s3: FakeS3,
  options: { now?: () => number; writes?: SweepWrites; remainingMillis?: () => number; pairs?: typeof PAIRS } = {},
) {
  const metrics = new RecordingSweepMetrics();
  const client = env.h.clients.dynamodb;
  const handler = createSweepHandler({
    reader: new TableReader({ client, tableName: env.table }),
    writes: options.writes ?? new DynamoSweepWrites({ client, tableName: env.table, retentionHours: 24 }),
    inspector: s3,
    metrics,
    pairs: options.pairs ?? PAIRS,
    overdueMillis: 15 * MIN,
    logger: memoryLogger(),
    now: options.now ?? (() => SWEEP_AT),
    ...(options.remainingMillis ? { remainingMillis: options.remainingMillis } : {}),
  });
  return { handler, metrics };
}

const gauge = (metrics: RecordingSweepMetrics, destination: string) =>
  metrics.gauges.at(-1)!.find((g) => g.destination === destination)!.count;

test('a two-destination version whose second replica event is never delivered ends COMPLETED for both, not OVERDUE/FAILED', async () => {
  await drainWrites([
    [SRC, 'two', T0],
    [DST, 'two', T0 + 2000, true],
  ]);
  // The source's aggregate says FAILED... and yet DST2 holds the replica: an aggregate never fails a holder.
  const s3 = new FakeS3({
    [`${SRC}/two`]: { outcome: 'found', status: 'FAILED' },
    [`${DST2}/two`]: { outcome: 'found', status: 'REPLICA', bytes: 1000 },
  });
  const { handler, metrics } = sweepFor(s3);
  const first = await handler();
  expect(first).toMatchObject({ complete: true, dueRead: 1, completed: 1, failed: 0, overdue: 0 });
  // Only the undecided destination and the source were asked; DST had its replica event.
  expect(s3.calls.sort()).toEqual([`${DST2}/two`, `${SRC}/two`]);
  expect(metrics.published).toEqual([
    expect.objectContaining({ kind: 'completed', source: SRC, destination: DST2, latencySeconds: null, bytes: 1000 }),
  ]);
  expect(gauge(metrics, DST2)).toBe(0);
  const stored = (await readAll(tableOf(env.h, env.table))).get('two\u0000v')!;
  expect(stored.attention).toBeUndefined();
  expect(stored.record.slots[`c:${DST2}`]).toMatchObject({ what: 'REPLICA' });
  // The next run reads nothing (the window moved on, the version needs no attention) and publishes nothing.
  const second = await sweepFor(s3, { now: () => SWEEP_AT + MIN }).handler();
  expect(second).toMatchObject({ dueRead: 0, attentionRead: 0, published: 0 });
});

test('a missing replica in one destination with a FAILED aggregate fails only that pair', async () => {
  await drainWrites([[SRC, 'half', T0]]);
  const s3 = new FakeS3({
    [`${SRC}/half`]: { outcome: 'found', status: 'FAILED' },
    [`${DST}/half`]: { outcome: 'found', status: 'REPLICA' },
    [`${DST2}/half`]: { outcome: 'not-found' },
  });
  const { handler, metrics } = sweepFor(s3);
  expect(await handler()).toMatchObject({ completed: 1, failed: 1, overdue: 0 });
  expect(metrics.published.map((o) => `${o.kind}:${o.destination}`).sort()).toEqual([`completed:${DST}`, `failed:${DST2}`]);
  const stored = (await readAll(tableOf(env.h, env.table))).get('half\u0000v')!;
  expect(stored.attention).toEqual({ state: 'FAILED', since: T0 });
});

test('overdue: 403/404/throttled stay in the attention set, re-checked at most every 5 minutes; no rule → untracked', async () => {
  await drainWrites([
    [OTHER, 'denied', T0],
    [OTHER, 'gone', T0],
    [OTHER, 'throttled', T0],
    [OTHER, 'norule', T0],
    [OTHER, 'odd', T0],
    [OTHER, 'young', Date.now()], // not due for 15 minutes
  ]);
  const s3 = new FakeS3({
    [`${OTHER}/denied`]: { outcome: 'forbidden' },
    [`${OTHER}/gone`]: { outcome: 'not-found' },
    [`${OTHER}/norule`]: { outcome: 'found' },
    [`${OTHER}/odd`]: { outcome: 'found', unknownStatus: 'SOMETHING_NEW' },
    [`${OTHER_DST}/denied`]: { outcome: 'forbidden' },
    [`${OTHER_DST}/gone`]: { outcome: 'not-found' },
    [`${OTHER_DST}/odd`]: { outcome: 'not-found' },
    [`${OTHER_DST}/norule`]: { outcome: 'not-found' },
  });
  const { handler, metrics } = sweepFor(s3);
  const first = await handler();
  expect(first).toMatchObject({ dueRead: 5, overdue: 4, untracked: 1, unknownStatus: 1, checkErrors: 2, forbidden: 2 });
  expect(metrics.published).toEqual([expect.objectContaining({ kind: 'untracked', source: OTHER, key: 'norule' })]);
  expect(gauge(metrics, OTHER_DST)).toBe(4);
  expect(gauge(metrics, DST)).toBe(0);
  const all = await readAll(tableOf(env.h, env.table));
  for (const key of ['denied', 'gone', 'throttled', 'odd'])
    expect(all.get(`${key}\u0000v`)!.attention).toEqual({ state: 'OVERDUE', since: T0 });
  expect(all.get('norule\u0000v')!.attention).toBeUndefined();
  expect(all.get('odd\u0000v')!.record.slots[`c:${OTHER}`]).toMatchObject({ what: 'UNKNOWN' });
  expect(all.get('young\u0000v')!.attention).toBeUndefined();

  // A minute later: the attention set (4) is read and counted; only the throttled one is asked again.
  s3.calls.length = 0;
  const next = sweepFor(s3, { now: () => SWEEP_AT + MIN });
  expect(await next.handler()).toMatchObject({ dueRead: 0, attentionRead: 4, overdue: 4, published: 0 });
  expect(s3.calls.sort()).toEqual([`${OTHER}/throttled`, `${OTHER_DST}/throttled`]);
  expect(gauge(next.metrics, OTHER_DST)).toBe(4);
});

/** Real writes that die (throw) after `limit` check writes: the process crashing half-way through a run. */
class DyingWrites implements SweepWrites {
  checks = 0;
  constructor(
    private readonly real: SweepWrites,
    private readonly limit: number,
  ) {}
  async check(change: SlotChange, token: string, attention: Parameters<SweepWrites['check']>[2]) {
    if (this.checks++ >= this.limit) throw new Error('process died');
    return this.real.check(change, token, attention);
  }
  mark: SweepWrites['mark'] = (...args) => this.real.mark(...args);
  advanceCursor: SweepWrites['advanceCursor'] = (...args) => this.real.advanceCursor(...args);
}

test('a sweep that dies half-way loses nothing and doubles nothing: the next run finishes the window', async () => {
  const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
  await drainWrites(keys.map((k) => [OTHER, k, T0] as [string, string, number]));
  const answers: Record<string, HeadResult> = {};
  for (const k of keys) {
    answers[`${OTHER}/${k}`] = { outcome: 'found', status: 'PENDING' };
    answers[`${OTHER_DST}/${k}`] = { outcome: 'found', status: 'REPLICA' };
  }
  const s3 = new FakeS3(answers);
  const client = env.h.clients.dynamodb;
  const real = new DynamoSweepWrites({ client, tableName: env.table, retentionHours: 24 });
  const dying = sweepFor(s3, { writes: new DyingWrites(real, 7) });
  await expect(dying.handler()).rejects.toThrow('process died');
  expect(await new TableReader({ client, tableName: env.table }).cursor()).toBe(0);
  const halfway = dying.metrics.published.length;
  expect(halfway).toBeGreaterThan(0);
  expect(halfway).toBeLessThan(12);

  const rerun = sweepFor(s3);
  expect(await rerun.handler()).toMatchObject({ complete: true, overdue: 0 });
  const all = [...dying.metrics.published, ...rerun.metrics.published].filter((o) => o.kind === 'completed');
  expect(all.map((o) => o.key).sort()).toEqual([...keys].sort());
  expect(await new TableReader({ client, tableName: env.table }).cursor()).toBe(SWEEP_AT);
});

test('a run short of time stops, keeps the cursor at the last finished slice, publishes no partial gauge', async () => {
  await drainWrites([[OTHER, 'a', T0]]);
  const s3 = new FakeS3({ [`${OTHER}/a`]: { outcome: 'found', status: 'COMPLETED' } });
  const short = sweepFor(s3, { remainingMillis: () => 1000 });
  expect(await short.handler()).toMatchObject({ complete: false, published: 0 });
  expect(short.metrics.gauges).toEqual([]);
  const ok = sweepFor(s3);
  expect(await ok.handler()).toMatchObject({ complete: true, completed: 1 });
});

test('check write retried after a lost response: the committed first attempt is recognised, before rebuilt from lp', async () => {
  // dynalite does not return the item on a condition failure (ReturnValuesOnConditionCheckFailure): DynamoDB's
  // answer is mocked (on the DocumentClient the writes send through), from the item the first (real-shaped) attempt
  // left, in DynamoDB JSON as lib-dynamodb passes a condition failure's item on.
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const mock = mockClient(DynamoDBDocumentClient);
  const writes = new DynamoSweepWrites({ client, tableName: 't', retentionHours: 24 });
  const change: SlotChange = {
    key: 'r',
    versionId: 'v',
    slot: `c:${OTHER}`,
    keep: 'latest',
    value: { at: SWEEP_AT, tie: 'COMPLETED', what: 'COMPLETED' },
  };
  const previous = { M: { at: { N: '5' }, tie: { S: 'PENDING' }, what: { S: 'PENDING' } } };
  const source = { M: { at: { N: String(T0) }, tie: { S: '0|PutObject|' }, what: { S: 'PutObject' } } };
  const committed = {
    pk: { S: 'r' },
    sk: { S: 'v' },
    [`w:${OTHER}`]: source,
    [`c:${OTHER}`]: marshalledSlot(change.value),
    lw1: { S: `c:${OTHER} sweep:1` },
    lp1: previous,
  };
  const failure = (item: Record<string, unknown>) =>
    Object.assign(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }), { Item: item });
  mock.on(UpdateCommand).rejects(failure(committed));
  const retry = await writes.check(change, 'sweep:1', null);
  expect(retry.applied).toBe(true);
  expect(retry.before!.slots[`c:${OTHER}`]).toMatchObject({ what: 'PENDING', at: 5 });
  expect(retry.before!.slots[`w:${OTHER}`]).toMatchObject({ at: T0 });
  // The same value written under another token (another run, a duplicate) is no transition of ours: nothing to publish.
  expect(await writes.check(change, 'sweep:2', null)).toEqual({ applied: false });
  // A later value in the slot (someone superseded it) neither.
  mock.on(UpdateCommand).rejects(failure({ ...committed, [`c:${OTHER}`]: marshalledSlot({ ...change.value, at: SWEEP_AT + 1 }) }));
  expect(await writes.check(change, 'sweep:1', null)).toEqual({ applied: false });
  // The same item with plain values (a DocumentClient that translates errors) is recognised the same way.
  const plain = { pk: 'r', sk: 'v', [`w:${OTHER}`]: { at: T0, tie: '0|PutObject|', what: 'PutObject' }, [`c:${OTHER}`]: change.value };
  mock.on(UpdateCommand).rejects(failure({ ...plain, lw1: `c:${OTHER} sweep:1`, lp1: { at: 5, tie: 'PENDING', what: 'PENDING' } }));
  expect((await writes.check(change, 'sweep:1', null)).before!.slots[`c:${OTHER}`]).toMatchObject({ what: 'PENDING', at: 5 });
  expect(await writes.check(change, 'sweep:2', null)).toEqual({ applied: false });
  const sent = mock.commandCalls(UpdateCommand)[0].args[0].input;
  expect(sent).toMatchObject({ ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
  expect(sent.UpdateExpression).toContain(
    '#lw2 = if_not_exists(#lw1, :null), #lp2 = if_not_exists(#lp1, :null), #lw1 = :logEntry, #lp1 = if_not_exists(#slot, :null)',
  );
  expect(sent.ExpressionAttributeValues).toMatchObject({ ':value': change.value, ':logEntry': `c:${OTHER} sweep:1`, ':null': null });
  mock.restore();
});

test('a replica-only version in a destination fed by two sources: HeadObject on the candidates finds its source', async () => {
  // Batch Replication wrote the replica; the source write is older than the trail. SHARED has two configured sources.
  const SHARED = 'shared-dr';
  const pairs = [
    { source: SRC, destination: SHARED },
    { source: OTHER, destination: SHARED },
  ];
  const store = storeFor(env.h, env.table);
  await publish(env.h, eventBridgeWrite({ bucket: SHARED, key: 'orphan', versionId: 'v', at: T0, bytes: 500, byReplication: true }));
  await eventSourceFor(env.h, drainFor(env.h, store, pairs)).run();
  const s3 = new FakeS3({
    [`${SRC}/orphan`]: { outcome: 'not-found' },
    [`${OTHER}/orphan`]: { outcome: 'found', status: 'COMPLETED' },
  });
  const { handler, metrics } = sweepFor(s3, { pairs });
  const summary = await handler();
  expect(s3.calls.sort()).toEqual([`${SRC}/orphan`, `${OTHER}/orphan`]);
  expect(summary).toMatchObject({ unattributed: 0, completed: 1 });
  expect(metrics.published).toEqual([
    expect.objectContaining({ kind: 'completed', source: OTHER, destination: SHARED, latencySeconds: null }),
  ]);
  // Asked once: the next run neither asks again nor publishes again.
  const again = await sweepFor(s3, { pairs, now: () => SWEEP_AT + MIN }).handler();
  expect(again).toMatchObject({ published: 0 });
  expect(s3.calls).toHaveLength(2);
});

test('HeadObject 200 in a destination proves the replica whatever its status (replica modification sync), recorded as REPLICA', async () => {
  // SRC ↔ DST is bi-directional with replica modification sync: the replicas answer PENDING/COMPLETED for their own
  // metadata going back. Recorded as they are, they would be candidate origins of the version.
  const pairs = [...PAIRS, { source: DST, destination: SRC }];
  await drainWrites([[SRC, 'sync', T0]]);
  const s3 = new FakeS3({
    [`${SRC}/sync`]: { outcome: 'found', status: 'PENDING' },
    [`${DST}/sync`]: { outcome: 'found', status: 'COMPLETED', bytes: 1000 },
    [`${DST2}/sync`]: { outcome: 'found', status: 'PENDING', bytes: 1000 },
  });
  const { handler, metrics } = sweepFor(s3, { pairs });
  expect(await handler()).toMatchObject({ completed: 2, failed: 0, overdue: 0 });
  expect(metrics.published.map((o) => `${o.kind}:${o.source}>${o.destination}`).sort()).toEqual([
    `completed:${SRC}>${DST2}`,
    `completed:${SRC}>${DST}`,
  ]);
  const stored = (await readAll(tableOf(env.h, env.table))).get('sync\u0000v')!;
  expect(stored.record.slots[`c:${DST}`]).toMatchObject({ what: 'REPLICA' });
  expect(stored.record.slots[`c:${DST2}`]).toMatchObject({ what: 'REPLICA' });
  expect(stored.record.slots[`c:${SRC}`]).toMatchObject({ what: 'PENDING' });
  expect(stored.attention).toBeUndefined();
});

test('a completed version whose tags did not replicate is marked FAILED in attention (redrive takes it); a deleted source is not', async () => {
  const pairs = [{ source: OTHER, destination: OTHER_DST }];
  const store = storeFor(env.h, env.table);
  const notice = (key: string, reason: string) =>
    replicationNotification({ source: OTHER, destination: OTHER_DST, key, versionId: 'v', at: T0 + 60_000, requestedAt: T0, reason });
  for (const event of [
    eventBridgeWrite({ bucket: OTHER, key: 'tags', versionId: 'v', at: T0, bytes: 10 }),
    eventBridgeWrite({ bucket: OTHER_DST, key: 'tags', versionId: 'v', at: T0 + 3000, bytes: 10, byReplication: true }),
    notice('tags', 'DstPutTaggingNotPermitted'),
    eventBridgeWrite({ bucket: OTHER, key: 'gone', versionId: 'v', at: T0, bytes: 10 }),
    notice('gone', 'SrcVersionNotFound'),
  ])
    await publish(env.h, event);
  await eventSourceFor(env.h, drainFor(env.h, store, pairs)).run();
  const s3 = new FakeS3({});
  const { handler } = sweepFor(s3, { pairs });
  expect(await handler()).toMatchObject({ overdue: 0, checked: 0 });
  const stored = await readAll(tableOf(env.h, env.table));
  expect(stored.get('tags\u0000v')!.attention).toEqual({ state: 'FAILED', since: T0 });
  expect(stored.get('gone\u0000v')!.attention).toBeUndefined();
});

test('an EventBridge Object Created in a destination alone (writer unknown): HeadObject there settles it, REPLICA or not', async () => {
  // S3's EventBridge events do not say whether replication wrote the version: a lone write into DST is not its own origin.
  const pairs = [{ source: SRC, destination: DST }];
  const store = storeFor(env.h, env.table);
  for (const key of ['eb-replica', 'eb-user'])
    await publish(env.h, s3EventBridgeWrite({ bucket: DST, key, versionId: 'v', at: T0, bytes: 700 }));
  await eventSourceFor(env.h, drainFor(env.h, store, pairs)).run();
  const s3 = new FakeS3({
    [`${SRC}/eb-replica`]: { outcome: 'not-found' },
    [`${DST}/eb-replica`]: { outcome: 'found', status: 'REPLICA' },
    [`${SRC}/eb-user`]: { outcome: 'not-found' },
    [`${DST}/eb-user`]: { outcome: 'found' },
  });
  const { handler, metrics } = sweepFor(s3, { pairs });
  const summary = await handler();
  // The candidate source and the destination itself are asked, for each.
  expect(s3.calls.sort()).toEqual([`${DST}/eb-replica`, `${DST}/eb-user`, `${SRC}/eb-replica`, `${SRC}/eb-user`]);
  expect(summary).toMatchObject({ unattributed: 0, completed: 1 });
  // The REPLICA completes the pair (no latency); the other, no status at all, is someone's own write: nobody's replica.
  expect(metrics.published).toEqual([
    expect.objectContaining({ kind: 'completed', source: SRC, destination: DST, key: 'eb-replica', latencySeconds: null }),
  ]);
});
