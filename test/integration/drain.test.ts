/**
 * The real drain handler on real emulators: events published to the forwarder SNS topics arrive in SQS as SNS
 * envelopes, the local event source hands them to the drain in batches of 10, the drain writes dynalite.
 */
import { evaluateRecord, indexPairs, parseDocument, type VersionRecord } from '../../lambda/core';
import type { RecordStore } from '../../lambda/adapters/dynamodb';
import { eventBridgeWrite, replicationNotification } from '../../tools/local-pipeline/events';
import {
  changeFor,
  drainFor,
  eventSourceFor,
  foldChanges,
  publish,
  readAll,
  receiveDeadLetters,
  sleep,
  storeFor,
  tableOf,
  useEmulators,
} from '../support/pipeline';

const SRC = 'photos-use1';
const DST = 'photos-euw2';
const DST2 = 'photos-apse2';
const T0 = Date.parse('2026-11-20T10:15:28Z');

const env = useEmulators();

const recordOf = async (key: string, versionId: string): Promise<VersionRecord | undefined> =>
  (await readAll(tableOf(env.h, env.table))).get(`${key}\u0000${versionId}`)?.record;

const changesOf = (docs: unknown[]) =>
  docs.flatMap((d) =>
    parseDocument(d)
      .events.map((e) => changeFor(e)!)
      .filter(Boolean),
  );

describe('drain on emulated SNS → SQS → DynamoDB', () => {
  test('replica first, everything duplicated: the record is the same as in order, and evaluates COMPLETED', async () => {
    const store = storeFor(env.h, env.table);
    const started = Date.now();
    const drain = drainFor(env.h, store, [SRC]);
    const key = '2026/11/pug toast+crumbs ü.jpg';
    const source = eventBridgeWrite({ bucket: SRC, key, versionId: 'v1', at: T0, bytes: 48213 });
    const replica = eventBridgeWrite({
      bucket: DST,
      key,
      versionId: 'v1',
      at: T0 + 7000,
      bytes: 48213,
      byReplication: true,
      region: 'eu-west-2',
    });
    for (const [doc, region] of [
      [replica, 'eu-west-2'],
      [replica, 'eu-west-2'],
      [source, 'us-east-1'],
      [replica, 'eu-west-2'],
      [source, 'us-east-1'],
    ] as const) {
      await publish(env.h, doc, region);
    }
    await eventSourceFor(env.h, drain).run();
    expect(drain.counters).toMatchObject({ messages: 5, events: 5, applied: 2, unchanged: 3, failed: 0, deadLettered: 0 });
    const stored = (await readAll(tableOf(env.h, env.table))).get(`${key}\u0000v1`)!;
    expect(stored.record).toEqual(foldChanges(changesOf([source, replica])).get(`${key}\u0000v1`));
    // A write to a configured source puts the version in the due index (never before now + 60 s); TTL is written.
    expect(stored.dueShard).toMatch(/^\d+$/);
    expect(stored.dueAt).toBeGreaterThanOrEqual(Math.max(T0 + 900_000, started + 60_000));
    const [state] = evaluateRecord(stored.record, indexPairs([{ source: SRC, destination: DST }]), {
      at: T0 + 60_000,
      overdueMillis: 900_000,
    });
    expect(state).toMatchObject({ state: 'COMPLETED', latencySeconds: 7, bytes: 48213 });
  });

  test('concurrent workers on the same object converge on the core fold (no read-then-write race)', async () => {
    const store = storeFor(env.h, env.table);
    const drain = drainFor(env.h, store, [SRC]);
    const key = 'hot/object.bin';
    const docs = [
      eventBridgeWrite({ bucket: SRC, key, versionId: 'hv', at: T0, bytes: 10 }),
      eventBridgeWrite({ bucket: DST, key, versionId: 'hv', at: T0 + 3000, bytes: 10, byReplication: true }),
      eventBridgeWrite({ bucket: DST, key, versionId: 'hv', at: T0 + 2000, bytes: 10, byReplication: true }), // an earlier duplicate-ish write wins
      eventBridgeWrite({ bucket: DST2, key, versionId: 'hv', at: T0 + 4000, bytes: 10, byReplication: true }),
      replicationNotification({ source: SRC, destination: DST2, key, versionId: 'hv', at: T0 + 1000, reason: 'DstPutObjectNotPermitted' }),
      replicationNotification({ source: SRC, destination: DST2, key, versionId: 'hv', at: T0 + 1500, reason: 'DstKmsKeyNotFound' }),
    ];
    for (let copy = 0; copy < 6; copy++) for (const doc of docs) await publish(env.h, doc);
    await eventSourceFor(env.h, drain).run({ workers: 4 });
    // With the harness's 1 s visibility timeout a loaded machine can see a message again (at-least-once): more is fine.
    expect(drain.counters.events).toBeGreaterThanOrEqual(36);
    expect(drain.counters.failed).toBe(0);
    expect(await recordOf(key, 'hv')).toEqual(foldChanges(changesOf(docs)).get(`${key}\u0000hv`));
    const states = evaluateRecord(
      (await recordOf(key, 'hv'))!,
      indexPairs([
        { source: SRC, destination: DST },
        { source: SRC, destination: DST2 },
      ]),
      {
        at: T0 + 10_000,
        overdueMillis: 900_000,
      },
    );
    // The replica settles DST2 even after failure notices (S3 retried and succeeded).
    expect(states.map((s) => [s.destination, s.state, s.latencySeconds])).toEqual([
      [DST2, 'COMPLETED', 4],
      [DST, 'COMPLETED', 2],
    ]);
  });

  test('multipart and copy writes are tracked; multi-destination with a failure notice', async () => {
    const store = storeFor(env.h, env.table);
    const drain = drainFor(env.h, store, [SRC]);
    const pairs = indexPairs([
      { source: SRC, destination: DST },
      { source: SRC, destination: DST2 },
    ]);
    await publish(
      env.h,
      eventBridgeWrite({ bucket: SRC, key: 'big/video.mp4', versionId: 'mp', at: T0, operation: 'CompleteMultipartUpload' }),
    );
    await publish(
      env.h,
      eventBridgeWrite({
        bucket: DST,
        key: 'big/video.mp4',
        versionId: 'mp',
        at: T0 + 90_000,
        operation: 'CompleteMultipartUpload',
        byReplication: true,
      }),
      'eu-west-2',
    );
    await publish(
      env.h,
      replicationNotification({
        source: SRC,
        destination: DST2,
        key: 'big/video.mp4',
        versionId: 'mp',
        at: T0 + 30_000,
        requestedAt: T0,
        reason: 'DstKmsKeyNotFound',
        bytes: 5e9,
      }),
    );
    await publish(
      env.h,
      eventBridgeWrite({ bucket: SRC, key: 'copied/report.pdf', versionId: 'cp', at: T0, operation: 'CopyObject', bytes: 2048 }),
    );
    await publish(
      env.h,
      eventBridgeWrite({
        bucket: DST,
        key: 'copied/report.pdf',
        versionId: 'cp',
        at: T0 + 5000,
        operation: 'PutObject',
        byReplication: true,
        bytes: 2048,
      }),
    );
    await eventSourceFor(env.h, drain).run();
    const all = await readAll(tableOf(env.h, env.table));
    const opts = { at: T0 + 120_000, overdueMillis: 900_000 };
    const big = evaluateRecord(all.get('big/video.mp4\u0000mp')!.record, pairs, opts);
    expect(big.map((s) => [s.destination, s.state, s.failureReason ?? s.latencySeconds])).toEqual([
      [DST2, 'FAILED', 'DstKmsKeyNotFound'],
      [DST, 'COMPLETED', 90],
    ]);
    expect(big[0].bytes).toBe(5e9);
    const copy = evaluateRecord(all.get('copied/report.pdf\u0000cp')!.record, pairs, opts);
    expect(copy.map((s) => s.state)).toEqual(['PENDING', 'COMPLETED']);
    expect(all.get('copied/report.pdf\u0000cp')!.record.slots[`w:${SRC}`].what).toBe('CopyObject');
  });

  test('keys with spaces, unicode, "+" and "%" meet in one record whether they come from CloudTrail or a notification', async () => {
    const store = storeFor(env.h, env.table);
    const drain = drainFor(env.h, store, [SRC]);
    const keys = ['a b/c+d.txt', 'ünïcødé/日本語 ファイル.png', '100% +plus+ %2B.csv', 'trailing space '];
    for (const key of keys) {
      await publish(env.h, eventBridgeWrite({ bucket: SRC, key, versionId: `v-${keys.indexOf(key)}`, at: T0, bytes: 1 }));
      await publish(
        env.h,
        replicationNotification({ source: SRC, destination: DST, key, versionId: `v-${keys.indexOf(key)}`, at: T0 + 1000 }),
      );
    }
    await eventSourceFor(env.h, drain).run();
    const all = await readAll(tableOf(env.h, env.table));
    expect([...all.values()].map((s) => s.record.key).sort()).toEqual([...keys].sort());
    for (const stored of all.values()) expect(Object.keys(stored.record.slots).sort()).toEqual([`f:${SRC}>${DST}`, `w:${SRC}`]);
  });

  test('a poison message among good ones goes to the DLQ with its reason; the good ones are applied and deleted', async () => {
    const store = storeFor(env.h, env.table);
    const drain = drainFor(env.h, store, [SRC]);
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'good/1', versionId: 'g1', at: T0 }));
    await publish(env.h, 'this is not JSON {');
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'good/2', versionId: 'g2', at: T0 }));
    await publish(env.h, {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          eventTime: 'yesterday',
          s3: { bucket: { name: SRC }, object: { key: 'k' } },
        },
      ],
    });
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'good/3', versionId: 'g3', at: T0 }));
    const result = await eventSourceFor(env.h, drain).run();
    expect(result).toEqual({ received: 5, failed: 0 });
    expect([...(await readAll(tableOf(env.h, env.table))).keys()].map((id) => id.split('\u0000')[0]).sort()).toEqual([
      'good/1',
      'good/2',
      'good/3',
    ]);
    const dead = await receiveDeadLetters(env.h);
    expect(dead).toHaveLength(2);
    const reasons = dead.map((m) => m.MessageAttributes?.reason?.StringValue ?? '').sort();
    expect(reasons).toEqual([
      expect.stringMatching(
        /^Message\.Records\[0\]\.eventTime: eventTime "yesterday" is not an ISO-8601 time with a zone \(e\.g\. 2026-11-20T10:00:00Z\)$/,
      ),
      expect.stringMatching(/^Message: not valid JSON/),
    ]);
    expect(dead.every((m) => m.MessageAttributes?.originalMessageId?.StringValue)).toBe(true);
    // The DLQ copy is the original body, so it can be redriven once the cause is fixed.
    expect(dead.map((m) => m.Body).some((b) => b!.includes('this is not JSON {'))).toBe(true);
    expect(drain.counters.deadLettered).toBe(2);
    // Nothing is left on the main queue.
    expect((await eventSourceFor(env.h, drain).run()).received).toBe(0);
  });

  test('a write CloudTrail logged without a version ID is resolved by HeadObject, or kept in the DLQ with the reason', async () => {
    const store = storeFor(env.h, env.table);
    const resolved: string[] = [];
    const drain = drainFor(env.h, store, [SRC], {
      resolveVersion: async (bucket, key) => {
        resolved.push(`${bucket}/${key}`);
        return key === 'findable' ? 'v-found' : undefined;
      },
    });
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'findable', at: T0 }));
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'overwritten since', at: T0 }));
    await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'normal', versionId: 'v1', at: T0 }));
    expect(await eventSourceFor(env.h, drain).run()).toEqual({ received: 3, failed: 0 });
    expect(resolved.sort()).toEqual([`${SRC}/findable`, `${SRC}/overwritten since`]);
    expect([...(await readAll(tableOf(env.h, env.table))).keys()].sort()).toEqual(['findable\u0000v-found', 'normal\u0000v1']);
    const dead = await receiveDeadLetters(env.h);
    expect(dead).toHaveLength(1);
    expect(dead[0].MessageAttributes?.reason?.StringValue).toMatch(
      /^PutObject s3:\/\/photos-use1\/overwritten since at .* has no x-amz-version-id/,
    );
    expect(drain.counters.unresolved).toBe(1);
  });

  test('an injected DynamoDB failure fails only its message; it comes back after the visibility timeout and is applied', async () => {
    const real = storeFor(env.h, env.table);
    let failuresLeft = 2;
    const flaky: RecordStore = {
      apply: async (change, pending) => {
        if (change.key === 'flaky/object' && failuresLeft > 0) {
          failuresLeft--;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return real.apply(change, pending);
      },
    };
    const drain = drainFor(env.h, flaky, [SRC]);
    const source = eventSourceFor(env.h, drain);
    for (const key of ['steady/1', 'flaky/object', 'steady/2'])
      await publish(env.h, eventBridgeWrite({ bucket: SRC, key, versionId: 'x', at: T0 }));
    const first = await source.pollOnce();
    expect(first).toEqual({ received: 3, failed: 1 });
    expect([...(await readAll(tableOf(env.h, env.table))).keys()].map((id) => id.split('\u0000')[0]).sort()).toEqual([
      'steady/1',
      'steady/2',
    ]);
    // The failed message is invisible for the queue's 1 s visibility timeout, then fails once more, then succeeds.
    const deadline = Date.now() + 10_000;
    while (!(await readAll(tableOf(env.h, env.table))).has('flaky/object\u0000x') && Date.now() < deadline) {
      await source.pollOnce();
      await sleep(100);
    }
    expect((await readAll(tableOf(env.h, env.table))).has('flaky/object\u0000x')).toBe(true);
    expect(failuresLeft).toBe(0);
    expect(drain.counters.failed).toBe(2);
    expect(await receiveDeadLetters(env.h)).toHaveLength(0);
  });
});
