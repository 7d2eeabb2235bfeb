/**
 * The drain's exactly-once publishing under faults, on dynalite: redelivery, concurrent workers, a write whose
 * response is lost (the SDK retries it), a worker that dies after publishing and before acknowledging, and a
 * worker too close to its timeout. The handler is called with SQS events directly (what Lambda's event source
 * mapping hands it), so each crash point is placed exactly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { evaluateRecord, indexPairs } from '../../../lambda/core';
import { DynamoRecordStore } from '../../../lambda/adapters/dynamodb';
import type { DeadLetters } from '../../../lambda/adapters/dead-letters';
import { createDrainHandler, type DrainHandler } from '../../../lambda/drain/drain';
import { memoryLogger } from '../../support/memory-logger';
import { eventBridgeWrite, replicationNotification } from '../../../tools/local-pipeline/events';
import { RecordingOutcomeSink } from '../../../tools/recording-outcomes';
import { returnItemOnConditionFailure } from '../../../tools/dynalite-fidelity';
import { readAll, useEmulators } from '../../support/pipeline';

const SRC = 'photos-use1';
const DST = 'photos-euw2';
const DST2 = 'photos-apse2';
const PAIRS = [
  { source: SRC, destination: DST },
  { source: SRC, destination: DST2 },
];
const T0 = Date.parse('2026-11-20T10:15:28Z');
const env = useEmulators();

const noDeadLetters: DeadLetters = {
  send: async () => {
    throw new Error('nothing should be dead-lettered here');
  },
};

function sqsRecord(messageId: string, doc: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}-${receiveCount}`,
    body: JSON.stringify(doc),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    awsRegion: 'us-east-1',
  };
}
const batch = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/** The table read back through a client of its own (not one a test injects faults into). */
const table = () => ({ client: env.h.clients.dynamodb, tableName: env.table });

function dynamo(maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: env.h.emulators.endpoints.dynamodb,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
    retryMode: 'standard',
  });
}

function drainOn(client: DynamoDBClient, outcomes = new RecordingOutcomeSink()): { drain: DrainHandler; outcomes: RecordingOutcomeSink } {
  const store = new DynamoRecordStore({ client, tableName: env.table, retentionHours: 24 });
  const drain = createDrainHandler({
    store,
    deadLetters: noDeadLetters,
    pairs: PAIRS,
    overdueMillis: 900_000,
    outcomes,
    logger: memoryLogger(),
  });
  return { drain, outcomes };
}

/** A realistic little workload: sources, replicas (some before their source), failure notices, a late completion. */
function workload(): { id: string; doc: unknown }[] {
  const docs: { id: string; doc: unknown }[] = [];
  for (let i = 0; i < 12; i++) {
    const key = `obj/${i} ü+%.bin`;
    const versionId = `v${i}`;
    docs.push({ id: `src-${i}`, doc: eventBridgeWrite({ bucket: SRC, key, versionId, at: T0 + i * 1000, bytes: 1000 + i }) });
    if (i % 3 !== 2)
      docs.push({
        id: `r1-${i}`,
        doc: eventBridgeWrite({
          bucket: DST,
          key,
          versionId,
          at: T0 + i * 1000 + 4000,
          bytes: 1000 + i,
          byReplication: true,
          region: 'eu-west-2',
        }),
      });
    if (i % 4 === 0) {
      docs.push({
        id: `f2-${i}`,
        doc: replicationNotification({
          source: SRC,
          destination: DST2,
          key,
          versionId,
          at: T0 + i * 1000 + 2000,
          requestedAt: T0 + i * 1000,
          reason: 'DstKmsKeyNotFound',
        }),
      });
    }
    if (i % 4 !== 1)
      docs.push({
        id: `r2-${i}`,
        doc: eventBridgeWrite({ bucket: DST2, key, versionId, at: T0 + i * 1000 + 9000, bytes: 1000 + i, byReplication: true }),
      });
  }
  return docs;
}

/** What the table says, per pair: completed and failed counts (the report's). */
async function finalCounts(): Promise<Record<string, { completed: number; failed: number }>> {
  const out: Record<string, { completed: number; failed: number }> = {};
  for (const p of PAIRS) out[`${p.source}>${p.destination}`] = { completed: 0, failed: 0 };
  for (const stored of (await readAll(table())).values()) {
    for (const s of evaluateRecord(stored.record, indexPairs(PAIRS), { at: T0, overdueMillis: 900_000 })) {
      if (s.state === 'COMPLETED') out[`${s.source}>${s.destination}`].completed++;
      if (s.state === 'FAILED') out[`${s.source}>${s.destination}`].failed++;
    }
  }
  return out;
}

/** The published outcomes per pair; a FAILED version that later completes has published both. */
function publishedCounts(sink: RecordingOutcomeSink): Record<string, { completed: number; failed: number }> {
  const out: Record<string, { completed: number; failed: number }> = {};
  for (const p of PAIRS) out[`${p.source}>${p.destination}`] = { completed: 0, failed: 0 };
  const completedIds = new Set(sink.outcomes.filter((o) => o.kind === 'completed').map((o) => `${o.destination}|${o.key}|${o.versionId}`));
  for (const o of sink.outcomes) {
    const pair = out[`${o.source}>${o.destination}`];
    if (o.kind === 'completed') pair.completed++;
    if (o.kind === 'failed' && !completedIds.has(`${o.destination}|${o.key}|${o.versionId}`)) pair.failed++;
  }
  return out;
}

/** No (kind, pair, version) published twice. */
const duplicates = (sink: RecordingOutcomeSink) => {
  const seen = new Set<string>();
  return sink.outcomes.filter((o) => {
    const id = `${o.kind}|${o.source}>${o.destination}|${o.key}|${o.versionId}`;
    if (seen.has(id)) return true;
    seen.add(id);
    return false;
  });
};

describe('drain: every transition published exactly once', () => {
  test('in order, once: the published outcomes equal the table', async () => {
    const { drain, outcomes } = drainOn(dynamo());
    const docs = workload();
    await drain(batch(docs.map(({ id, doc }) => sqsRecord(id, doc))));
    expect(drain.counters).toMatchObject({ failed: 0, unchanged: 0 });
    const counts = await finalCounts();
    expect(counts[`${SRC}>${DST}`].completed).toBe(8);
    expect(publishedCounts(outcomes)).toEqual(counts);
    expect(duplicates(outcomes)).toEqual([]);
  });

  test('redelivery and duplicates (every message twice, reversed, later receive counts): nothing republished', async () => {
    const { drain, outcomes } = drainOn(dynamo());
    const docs = workload();
    await drain(batch(docs.map(({ id, doc }) => sqsRecord(id, doc))));
    const published = outcomes.published.length;
    await drain(batch([...docs].reverse().map(({ id, doc }) => sqsRecord(id, doc, 2))));
    await drain(batch(docs.map(({ id, doc }) => sqsRecord(`copy-${id}`, doc))));
    expect(outcomes.published.length).toBe(published);
    expect(drain.counters.unchanged).toBe(2 * docs.length);
    expect(publishedCounts(outcomes)).toEqual(await finalCounts());
  });

  test('N concurrent workers over shuffled, duplicated deliveries: exactly once, equal to the table', async () => {
    const sink = new RecordingOutcomeSink();
    const workers = Array.from({ length: 4 }, () => drainOn(dynamo(), sink));
    const docs = workload();
    // Every message three times (SNS/SQS at-least-once and CloudTrail duplicates), spread round-robin, reversed order.
    const deliveries = [...docs, ...[...docs].reverse(), ...docs].map(({ id, doc }, i) =>
      sqsRecord(`${id}-${Math.floor(i / docs.length)}`, doc),
    );
    await Promise.all(
      workers.map(({ drain }, w) => {
        const mine = deliveries.filter((_, i) => i % workers.length === w);
        return (async () => {
          for (let i = 0; i < mine.length; i += 5) await drain(batch(mine.slice(i, i + 5)));
        })();
      }),
    );
    expect(duplicates(sink)).toEqual([]);
    expect(publishedCounts(sink)).toEqual(await finalCounts());
  });

  test('the write commits and its response is lost: the SDK retry recognises its own write and publishes once', async () => {
    // dynalite leaves the item out of a condition failure; DynamoDB returns it (ReturnValuesOnConditionCheckFailure).
    const client = returnItemOnConditionFailure(dynamo(3), dynamo());
    let dropped = 0;
    // Inside the retry loop, below the deserializer (raw HTTP): a write that committed (200) loses its response.
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const status = (result as { response?: { statusCode?: number } }).response?.statusCode;
        const input = (args as { input?: { Key?: { pk?: { S?: string } } } }).input;
        if (status === 200 && input?.Key?.pk?.S?.startsWith('obj/') && dropped < 6) {
          dropped++;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseResponses' },
    );
    const { drain, outcomes } = drainOn(client);
    const docs = workload();
    for (const { id, doc } of docs) await drain(batch([sqsRecord(id, doc)]));
    expect(dropped).toBe(6);
    expect(drain.counters.failed).toBe(0);
    expect(drain.counters.recovered).toBe(6);
    expect(duplicates(outcomes)).toEqual([]);
    expect(publishedCounts(outcomes)).toEqual(await finalCounts());
  });

  test("a lost response, then another worker's writes to the same version before the retry: each transition once", async () => {
    // Worker B first drains the replicas into DST. Then worker A drains the source writes: each of A's committed writes
    // decides its version's DST latency and loses its response, and B's other events of that version (the DST2 replica,
    // a failure notice) are written and published by B before A's SDK retry. B decided the DST2 outcomes on the record
    // with A's write in it; A's retry must find its write under B's in the write log and publish the outcome its own
    // write decided, and nothing of B's (docs/drain.md: the cross-worker gap this closes).
    const docs = workload();
    const sources = docs.filter((d) => d.id.startsWith('src-'));
    const early = docs.filter((d) => d.id.startsWith('r1-'));
    const others = docs.filter((d) => !d.id.startsWith('src-') && !d.id.startsWith('r1-'));
    const sink = new RecordingOutcomeSink();
    const b = drainOn(dynamo(), sink);
    await b.drain(batch(early.map(({ id, doc }) => sqsRecord(id, doc))));
    const client = returnItemOnConditionFailure(dynamo(3), dynamo());
    let interleaved = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const status = (result as { response?: { statusCode?: number } }).response?.statusCode;
        const key = (args as { input?: { Key?: { pk?: { S?: string } } } }).input?.Key?.pk?.S;
        const i = key?.startsWith('obj/') ? Number(/^obj\/(\d+)/.exec(key)![1]) : -1;
        const mine = others.filter((d) => d.id.endsWith(`-${i}`));
        if (status !== 200 || mine.length === 0) return result;
        others.splice(0, others.length, ...others.filter((d) => !mine.includes(d)));
        interleaved++;
        await b.drain(batch(mine.map(({ id, doc }) => sqsRecord(id, doc))));
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      },
      { step: 'deserialize', name: 'otherWorkerInTheWindow' },
    );
    const a = drainOn(client, sink);
    for (const { id, doc } of sources) await a.drain(batch([sqsRecord(id, doc)]));
    // Versions with a DST2 replica or a notice: all but obj/1, obj/5 and obj/9.
    expect(interleaved).toBe(9);
    expect(a.drain.counters).toMatchObject({ failed: 0, recovered: 9, recoveredUnderLaterWrites: 9 });
    const origins = (kind: string, destination: string) =>
      sink.published.filter((p) => p.outcome.kind === kind && p.outcome.destination === destination).map((p) => p.origin?.messageId);
    // B's replicas completed DST without a source time; A's source writes gave those completions their latency (and
    // the old single-entry log lost them: A found B's token). B published the DST2 completions.
    expect(origins('latency', DST).sort()).toEqual(['src-0', 'src-1', 'src-10', 'src-3', 'src-4', 'src-6', 'src-7', 'src-9']);
    expect(origins('completed', DST).every((id) => id?.startsWith('r1-'))).toBe(true);
    expect(origins('completed', DST2).length).toBeGreaterThan(0);
    expect(origins('completed', DST2).every((id) => id?.startsWith('r2-'))).toBe(true);
    expect(duplicates(sink)).toEqual([]);
    expect(publishedCounts(sink)).toEqual(await finalCounts());
  });

  test('a worker dies after its write and publish, before acknowledging: the redelivery publishes nothing', async () => {
    const { drain, outcomes } = drainOn(dynamo());
    const docs = workload();
    // First delivery: processed, but the acknowledgement is lost (the process died): SQS delivers it again.
    for (const { id, doc } of docs) await drain(batch([sqsRecord(id, doc, 1)]));
    const first = outcomes.published.length;
    // A fresh container (new handler, same sink as CloudWatch would be) gets the redelivery.
    const again = drainOn(dynamo(), outcomes);
    for (const { id, doc } of docs) await again.drain(batch([sqsRecord(id, doc, 2)]));
    expect(outcomes.published.length).toBe(first);
    expect(again.drain.counters.unchanged).toBe(docs.length);
    expect(publishedCounts(outcomes)).toEqual(await finalCounts());
  });

  test('too close to the timeout: no write is started; the messages are returned for retry, then published once', async () => {
    const { drain, outcomes } = drainOn(dynamo());
    const docs = workload().slice(0, 6);
    const records = docs.map(({ id, doc }) => sqsRecord(id, doc));
    const response = await drain(batch(records), { getRemainingTimeInMillis: () => 1000 });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
    expect((await readAll(table())).size).toBe(0);
    expect(drain.counters.deferred).toBe(docs.length);
    await drain(batch(docs.map(({ id, doc }) => sqsRecord(id, doc, 2))), { getRemainingTimeInMillis: () => 60_000 });
    expect(publishedCounts(outcomes)).toEqual(await finalCounts());
    expect(outcomes.outcomes.length).toBeGreaterThan(0);
  });

  test('each outcome is published right after its write, naming its message', async () => {
    const { drain, outcomes } = drainOn(dynamo());
    await drain(batch([sqsRecord('m-src', eventBridgeWrite({ bucket: SRC, key: 'k', versionId: 'v', at: T0, bytes: 10 }))]));
    await drain(
      batch([
        sqsRecord('m-rep', eventBridgeWrite({ bucket: DST, key: 'k', versionId: 'v', at: T0 + 2000, bytes: 10, byReplication: true })),
      ]),
    );
    expect(outcomes.published).toEqual([
      {
        outcome: { kind: 'completed', source: SRC, destination: DST, key: 'k', versionId: 'v', latencySeconds: 2, bytes: 10 },
        at: expect.any(Number),
        origin: { messageId: 'm-rep' },
      },
    ]);
  });
});
