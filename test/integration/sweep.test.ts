/**
 * The real sweep on dynalite, after the real drain: pending index, HeadObject re-checks (403/404 counted and
 * kept), settling, and the PutMetricData requests it makes.
 */
import { METRIC } from '../../lambda/core/metric-names';
import { RecordingMetricsSink, type MetricDatum } from '../../lambda/adapters/metrics';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { memoryLogger } from '../support/memory-logger';
import { createSweepHandler } from '../../lambda/sweep/sweep';
import { eventBridgeWrite, replicationNotification } from '../../tools/local-pipeline/events';
import { drainFor, eventSourceFor, publish, readAll, storeFor, useEmulators } from '../support/pipeline';

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
const T0 = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;

const env = useEmulators();

class FakeS3 implements Pick<ObjectInspector, 'head'> {
  readonly calls: string[] = [];
  constructor(private readonly answers: Record<string, HeadResult>) {}
  async head(bucket: string, key: string, versionId: string): Promise<HeadResult> {
    this.calls.push(`${bucket}/${key}@${versionId}`);
    const answer = this.answers[key];
    if (!answer) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    return answer;
  }
}

const pick = (data: MetricDatum[], name: string, destination: string) =>
  data.filter((d) => d.MetricName === name && d.Dimensions?.some((x) => x.Name === 'DestBucket' && x.Value === destination));

test('sweep: settles final versions, re-checks overdue ones (403/404 kept), publishes the closed minute per pair', async () => {
  const store = storeFor(env.h, env.table);
  const drain = drainFor(env.h, store, [SRC, OTHER]);
  const w = (bucket: string, key: string, at: number, extra: object = {}) => publish(env.h, eventBridgeWrite({ bucket, key, versionId: 'v', at, bytes: 1000, ...extra }));
  // done: both destinations replicated (2 s and 4 s).
  await w(SRC, 'done', T0);
  await w(DST, 'done', T0 + 2000, { byReplication: true });
  await w(DST2, 'done', T0 + 4000, { byReplication: true });
  // half: one replicated, the other failed by notification.
  await w(SRC, 'half', T0);
  await w(DST, 'half', T0 + 5000, { byReplication: true });
  await publish(env.h, replicationNotification({ source: SRC, destination: DST2, key: 'half', versionId: 'v', at: T0 + 60_000, requestedAt: T0, reason: 'DstKmsKeyNotFound' }));
  // young: written a minute before the sweep, nothing else yet: PENDING, not checked.
  await w(OTHER, 'young', T0 + 19 * MIN);
  // Overdue ones (written at T0, sweep at T0 + 20 min, threshold 15 min):
  await w(OTHER, 'late-completed', T0); // HeadObject says COMPLETED
  await w(OTHER, 'late-pending', T0); // HeadObject says PENDING: stays overdue
  await w(OTHER, 'late-denied', T0); // 403
  await w(OTHER, 'late-gone', T0); // 404
  await w(OTHER, 'late-throttled', T0); // HeadObject throws
  await w(OTHER, 'late-norule', T0); // no replication status: no rule applies, not tracked
  // replica only, its source never seen: not in the pending index at all.
  await w(OTHER_DST, 'orphan', T0, { byReplication: true });
  await eventSourceFor(env.h, drain).run();

  const s3 = new FakeS3({
    'late-completed': { outcome: 'found', status: 'COMPLETED', bytes: 1000 },
    'late-pending': { outcome: 'found', status: 'PENDING' },
    'late-denied': { outcome: 'forbidden' },
    'late-gone': { outcome: 'not-found' },
    'late-norule': { outcome: 'found' },
  });
  const metrics = new RecordingMetricsSink();
  const logger = memoryLogger();
  let clock = T0 + 20 * MIN + 5000;
  const sweep = createSweepHandler({ store, inspector: s3, metrics, pairs: PAIRS, overdueMillis: 15 * MIN, logger, now: () => clock });

  const first = await sweep();
  expect(first).toMatchObject({
    scanned: 9, settled: 4, completed: 4, failed: 1, pending: 1, overdue: 4, checked: 6, forbidden: 1, notFound: 1, checkErrors: 1, unattributed: 0,
  });
  expect(s3.calls.sort()).toEqual(['late-completed', 'late-denied', 'late-gone', 'late-norule', 'late-pending', 'late-throttled'].map((k) => `${OTHER}/${k}@v`));
  // 403 and 404 are logged as errors, never swallowed.
  expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.key).sort()).toEqual(['late-denied', 'late-gone', 'late-throttled']);

  // Metrics: one request (well under 1,000), all stamped with the minute that just closed, units set.
  expect(metrics.requests).toHaveLength(1);
  expect(metrics.requests[0].namespace).toBe('CRRMonitor');
  const data = metrics.data;
  const closed = new Date(T0 + 19 * MIN);
  expect(data.every((d) => (d.Timestamp as Date).getTime() === closed.getTime() && d.Unit)).toBe(true);
  expect(pick(data, METRIC.ReplicationObjects, DST)[0]).toMatchObject({ Value: 2, Unit: 'Count' });
  expect(pick(data, METRIC.ReplicationObjects, DST2)[0].Value).toBe(1);
  expect(pick(data, METRIC.FailedReplications, DST2)[0]).toMatchObject({ Value: 1, Unit: 'Count' });
  expect(pick(data, METRIC.ReplicationLatency, DST)[0]).toMatchObject({ Values: [2, 5], Counts: [1, 1], Unit: 'Seconds' });
  expect(pick(data, METRIC.ReplicationSpeed, DST)[0]).toMatchObject({ Values: [200, 500], Counts: [1, 1], Unit: 'Bytes/Second' });
  expect(pick(data, METRIC.ReplicationBytes, DST)[0]).toMatchObject({ Value: 2000, Unit: 'Bytes' });
  // HeadObject COMPLETED settles late-completed (no latency: HeadObject does not say when).
  expect(pick(data, METRIC.ReplicationObjects, OTHER_DST)[0].Value).toBe(1);
  expect(pick(data, METRIC.ReplicationLatency, OTHER_DST)).toHaveLength(0);
  expect(pick(data, METRIC.OverdueReplications, OTHER_DST)[0].Value).toBe(4);
  expect(pick(data, METRIC.OverdueReplications, DST)[0].Value).toBe(0);
  expect(pick(data, METRIC.FailedReplications, OTHER_DST)[0].Value).toBe(0);

  // The table: settled records are out of the index (and remember what was reported); nothing was deleted.
  const all = await readAll(store);
  expect(all.size).toBe(10);
  expect(all.get('done\u0000v')).toMatchObject({ reported: `${DST2}=COMPLETED,${DST}=COMPLETED` });
  expect(all.get('done\u0000v')!.pendingShard).toBeUndefined();
  expect(all.get('late-completed\u0000v')!.record.slots[`c:${OTHER}`]).toMatchObject({ what: 'COMPLETED', at: clock });
  expect(all.get('late-pending\u0000v')!.record.slots[`c:${OTHER}`]).toMatchObject({ what: 'PENDING' });
  // 403/404 are recorded (so they wait for the re-check interval); a version without status leaves the index uncounted.
  expect(all.get('late-denied\u0000v')!.record.slots[`c:${OTHER}`]).toMatchObject({ what: 'FORBIDDEN', at: clock });
  expect(all.get('late-gone\u0000v')!.record.slots[`c:${OTHER}`]).toMatchObject({ what: 'NOT_FOUND', at: clock });
  expect(all.get('late-norule\u0000v')!.pendingShard).toBeUndefined();
  expect(all.get('late-throttled\u0000v')!.record.slots[`c:${OTHER}`]).toBeUndefined();
  for (const key of ['late-denied', 'late-gone', 'late-throttled', 'late-pending', 'young']) expect(all.get(`${key}\u0000v`)!.pendingShard).toBeDefined();

  // A minute later: nothing is counted twice; versions checked a minute ago (PENDING, 403, 404) wait 5 minutes;
  // only the one whose HeadObject threw is asked again.
  clock += MIN;
  s3.calls.length = 0;
  const second = await sweep();
  expect(second).toMatchObject({ scanned: 5, settled: 0, completed: 0, failed: 0, overdue: 4, pending: 1, checked: 1 });
  expect(s3.calls).toEqual([`${OTHER}/late-throttled@v`]);
  const again = metrics.requests[1].data;
  expect(pick(again, METRIC.ReplicationObjects, DST)[0].Value).toBe(0);
  expect((pick(again, METRIC.ReplicationObjects, DST)[0].Timestamp as Date).getTime()).toBe(T0 + 20 * MIN);
});

test('a settled version that re-enters the index (an earlier source-side notice arrives late) is not counted again', async () => {
  const store = storeFor(env.h, env.table);
  const drain = drainFor(env.h, store, [SRC]);
  const pairs = [{ source: SRC, destination: DST }];
  await publish(env.h, eventBridgeWrite({ bucket: SRC, key: 'k', versionId: 'v', at: T0 + 1000, bytes: 5 }));
  await publish(env.h, eventBridgeWrite({ bucket: DST, key: 'k', versionId: 'v', at: T0 + 3000, bytes: 5, byReplication: true }));
  await eventSourceFor(env.h, drain).run();
  const metrics = new RecordingMetricsSink();
  const sweep = createSweepHandler({ store, inspector: new FakeS3({}), metrics, pairs, overdueMillis: 15 * MIN, logger: memoryLogger(), now: () => T0 + 2 * MIN });
  expect(await sweep()).toMatchObject({ completed: 1, settled: 1 });
  // OperationMissedThreshold with an earlier requestTime rewrites the source slot and re-marks it pending.
  await publish(env.h, replicationNotification({ notice: 'OperationMissedThreshold', source: SRC, destination: DST, key: 'k', versionId: 'v', at: T0 + 2000, requestedAt: T0 }));
  await eventSourceFor(env.h, drain).run();
  expect((await readAll(store)).get('k\u0000v')!.pendingShard).toBeDefined();
  expect(await sweep()).toMatchObject({ scanned: 1, completed: 0, settled: 1 });
  expect(pick(metrics.requests[1].data, METRIC.ReplicationObjects, DST)[0].Value).toBe(0);
});
