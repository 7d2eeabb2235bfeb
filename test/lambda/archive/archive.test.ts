import fc from 'fast-check';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { applyChange, changeFor, evaluateRecord, indexPairs, type S3ChangeEvent, type VersionRecord } from '../../../lambda/core';
import { marshalledSlot } from '../../support/attribute-values';
import { createArchiveHandler, type ArchiveRow } from '../../../lambda/archive/archive';
import { memoryLogger } from '../../support/memory-logger';

/**
 * The archive handler on stream records shaped as DynamoDB Streams delivers them to Lambda with the
 * NEW_AND_OLD_IMAGES view: `eventID`, `eventName`, `eventVersion` "1.1", `eventSource` "aws:dynamodb", `awsRegion`,
 * `eventSourceARN` (the table's stream ARN), and `dynamodb` with `ApproximateCreationDateTime` (epoch seconds),
 * `Keys`, `NewImage` (absent on REMOVE), `OldImage` (absent on INSERT), `SequenceNumber` (21–40 digits), `SizeBytes`,
 * `StreamViewType`; TTL deletions carry `userIdentity` {type "Service", principalId "dynamodb.amazonaws.com"}.
 * Sources: the Lambda developer guide's DynamoDB example event (docs.aws.amazon.com/lambda/latest/dg/with-ddb.html),
 * the Streams API's StreamRecord reference, and the TTL guide (time-to-live-ttl-streams.html).
 */
const T = Date.parse('2026-11-20T10:00:00Z');
const PAIRS = [
  { source: 's', destination: 'd1' },
  { source: 's', destination: 'd2' },
];
const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/MonitorStack-StoreTable/stream/2026-11-01T00:00:00.000';

const image = (record: VersionRecord, extra: Record<string, unknown> = {}) => ({
  pk: { S: record.key },
  sk: { S: record.versionId },
  ...Object.fromEntries(Object.entries(record.slots).map(([k, v]) => [k, marshalledSlot(v)])),
  expiresAt: { N: String(Math.floor(T / 1000) + 86_400) },
  ...extra,
});

// Real sequence numbers are 21–40 digits: a BigInt keeps them exact.
let sequence = 400000000000000000000n;
function streamRecord(
  before: VersionRecord | undefined,
  after: VersionRecord | undefined,
  at: number,
  extra: Record<string, unknown> = {},
): DynamoDBRecord {
  const eventName = !before ? 'INSERT' : after ? 'MODIFY' : 'REMOVE';
  const keyOf = (after ?? before)!;
  sequence += 1n;
  return {
    eventID: `e${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(at / 1000),
      Keys: { pk: { S: keyOf.key }, sk: { S: keyOf.versionId } },
      ...(after ? { NewImage: image(after, extra) } : {}),
      ...(before ? { OldImage: image(before) } : {}),
      SequenceNumber: String(sequence),
      SizeBytes: 400,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...(eventName === 'REMOVE' ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  } as DynamoDBRecord;
}

/** The stream records of a sequence of events applied one by one to the table (a write that changes nothing has none). */
function recordsOf(events: S3ChangeEvent[], start?: VersionRecord): { records: DynamoDBRecord[]; final: VersionRecord | undefined } {
  let current = start;
  const records: DynamoDBRecord[] = [];
  for (const event of events) {
    const next = applyChange(current, changeFor(event)!);
    if (next === current) continue;
    records.push(streamRecord(current, next, event.at + 2_000));
    current = next;
  }
  return { records, final: current };
}

function setup(pairs = PAIRS) {
  const lines: string[] = [];
  const logger = memoryLogger();
  const archive = createArchiveHandler({ sink: { put: async (l) => void lines.push(...l) }, pairs, logger, now: () => T + 3_600_000 });
  const rows = () => lines.map((l) => JSON.parse(l) as ArchiveRow);
  return { archive, rows, logger };
}

const sourceWrite = (key: string, at: number, bytes = 10): S3ChangeEvent => ({
  type: 'write',
  bucket: 's',
  key,
  versionId: 'v',
  at,
  operation: 'PutObject',
  bytes,
  byReplication: false,
});
const replica = (bucket: string, key: string, at: number, bytes = 10): S3ChangeEvent => ({
  type: 'write',
  bucket,
  key,
  versionId: 'v',
  at,
  operation: 'PutObject',
  bytes,
  byReplication: true,
});
const failure = (destination: string, key: string, at: number): S3ChangeEvent => ({
  type: 'replication',
  notice: 'OperationFailedReplication',
  bucket: 's',
  destination,
  key,
  versionId: 'v',
  at,
  failureReason: 'DstKmsKeyNotFound',
});

const event = (records: DynamoDBRecord[]) => ({ Records: records }) as DynamoDBStreamEvent;

test('one row per pair outcome of each write: the write that completes d1 archives it, pending d2 is not archived', async () => {
  const { archive, rows } = setup();
  const { records } = recordsOf([sourceWrite('a b', T), replica('d1', 'a b', T + 4000)]);
  expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
  await expect(archive(event(records))).resolves.toEqual({ archived: 1, batchItemFailures: [] });
  expect(rows()).toEqual([
    {
      source: 's',
      destination: 'd1',
      key: 'a b',
      versionId: 'v',
      state: 'COMPLETED',
      outcome: 'completed',
      revision: 2,
      recordedAt: Math.floor((T + 6000) / 1000) * 1000,
      sequence: records[1].dynamodb!.SequenceNumber!.padStart(40, '0'),
      sourceTime: '2026-11-20T10:00:00.000Z',
      sourceAt: T,
      withoutSource: false,
      replicaTime: '2026-11-20T10:00:04.000Z',
      latencySeconds: 4,
      bytes: 10,
      failureReason: null,
      failureClass: null,
      pendingSeconds: null,
    },
  ]);
});

test('a FAILED pair that later completes gets a new COMPLETED row with a higher revision (the correction)', async () => {
  const { archive, rows } = setup();
  const { records } = recordsOf([
    sourceWrite('k', T),
    failure('d2', 'k', T + 9000),
    replica('d1', 'k', T + 3000),
    replica('d2', 'k', T + 60_000),
  ]);
  await archive(event(records));
  const d2 = rows().filter((r) => r.destination === 'd2');
  expect(d2.map((r) => [r.state, r.outcome, r.revision, r.failureReason])).toEqual([
    ['FAILED', 'failed', 1, 'DstKmsKeyNotFound'],
    ['COMPLETED', 'completed', 2, null],
  ]);
  expect(d2[1].latencySeconds).toBe(60);
  expect(
    rows()
      .filter((r) => r.destination === 'd1')
      .map((r) => r.state),
  ).toEqual(['COMPLETED']);
});

test('failure classes: a metadata failure of a completed pair supersedes its rows; markers and deleted sources have rows of their own', async () => {
  const { archive, rows } = setup([{ source: 's', destination: 'd1' }]);
  const notice = (key: string, at: number, failureReason: string): S3ChangeEvent => ({
    type: 'replication',
    notice: 'OperationFailedReplication',
    bucket: 's',
    destination: 'd1',
    key,
    versionId: 'v',
    at,
    requestedAt: T,
    failureReason,
  });
  // The replica seen first (no source time), the tag failure (its requestTime gives one), then the source write.
  const tags = recordsOf([replica('d1', 'k', T + 5000), notice('k', T + 60_000, 'DstPutTaggingNotPermitted'), sourceWrite('k', T, 99)]);
  const marker = recordsOf([notice('m', T, 'DstDelObjNotPermitted')]);
  const gone = recordsOf([sourceWrite('g', T), notice('g', T + 5000, 'SrcVersionNotFound')]);
  await archive(event([...tags.records, ...marker.records, ...gone.records]));
  expect(rows().map((r) => [r.key, r.state, r.outcome, r.revision, r.failureReason, r.failureClass, r.latencySeconds, r.bytes])).toEqual([
    ['k', 'COMPLETED', 'completed', 2, null, null, null, 10],
    // The notice's requestTime gives the source time, hence the latency: revision 5 supersedes both earlier rows.
    ['k', 'COMPLETED', 'metadataFailed', 5, 'DstPutTaggingNotPermitted', 'metadata', 5, 10],
    // The source write brings the size: a correction of the same revision, ordered by sequence.
    ['k', 'COMPLETED', 'metadataFailed', 5, 'DstPutTaggingNotPermitted', 'metadata', 5, 99],
    ['m', 'DELETE_MARKER_FAILED', 'deleteMarkerFailed', 1, 'DstDelObjNotPermitted', 'deleteMarker', null, 0],
    ['g', 'SOURCE_DELETED', 'sourceDeleted', 1, 'SrcVersionNotFound', 'sourceDeleted', null, 10],
  ]);
});

test('a replica seen before its source: a COMPLETED row without source, then a latency row that corrects it', async () => {
  // d1 has one configured source, so a replication write into d1 completes s→d1 on its own (issue 8 item 2).
  const { archive, rows } = setup([{ source: 's', destination: 'd1' }]);
  const { records } = recordsOf([replica('d1', 'k', T + 5000), sourceWrite('k', T)]);
  await archive(event(records));
  expect(rows().map((r) => [r.outcome, r.revision, r.withoutSource, r.latencySeconds, r.sourceAt])).toEqual([
    ['completed', 2, true, null, T + 5000],
    ['latency', 3, false, 5, T],
  ]);
});

test('a failure notice before its source write: the FAILED row is corrected when the size and source time arrive', async () => {
  const { archive, rows } = setup([{ source: 's', destination: 'd1' }]);
  const { records } = recordsOf([failure('d1', 'k', T + 9000), sourceWrite('k', T, 77)]);
  await archive(event(records));
  expect(rows().map((r) => [r.state, r.outcome, r.revision, r.bytes])).toEqual([
    ['FAILED', 'failed', 1, 0],
    ['FAILED', 'failed', 1, 77],
  ]);
  expect(rows()[1].sourceAt).toBe(T);
  expect(rows()[1].sequence > rows()[0].sequence).toBe(true);
});

test('writes that decide nothing (a second source event, the sweep marking attention), REMOVE and the cursor write no row', async () => {
  const { archive, rows } = setup();
  const pending = recordsOf([sourceWrite('k', T)]).final!;
  const later = applyChange(pending, changeFor(replica('d9', 'k', T + 1000))!); // a bucket no pair names
  const records = [
    streamRecord(pending, later, T + 2000),
    streamRecord(pending, pending, T + 960_000, { attnShard: { S: '3' }, attnSince: { N: String(T) }, attnState: { S: 'OVERDUE' } }),
    streamRecord(pending, undefined, T + 86_400_000), // TTL expiry
    streamRecord(
      { key: '#crr-monitor', versionId: 'sweep-cursor', slots: {} },
      { key: '#crr-monitor', versionId: 'sweep-cursor', slots: {} },
      T,
    ),
  ];
  await expect(archive(event(records))).resolves.toEqual({ archived: 0, batchItemFailures: [] });
  expect(rows()).toEqual([]);
});

test('a MODIFY without OldImage (a NEW_IMAGE stream) stops the batch there: earlier rows delivered, it is the first failure', async () => {
  const { archive, rows, logger } = setup();
  const first = recordsOf([sourceWrite('a', T), replica('d1', 'a', T + 1000)]).records;
  const broken = recordsOf([sourceWrite('b', T), replica('d1', 'b', T + 1000)]).records[1];
  delete broken.dynamodb!.OldImage;
  const after = recordsOf([sourceWrite('c', T), replica('d1', 'c', T + 1000)]).records;
  const result = await archive(event([...first, broken, ...after]));
  expect(result).toEqual({ archived: 1, batchItemFailures: [{ itemIdentifier: broken.dynamodb!.SequenceNumber }] });
  expect(rows().map((r) => r.key)).toEqual(['a']);
  expect(logger.entries.filter((e) => e.level === 'error')).toEqual([
    expect.objectContaining({
      message: 'unreadable stream record',
      eventID: broken.eventID,
      index: 2,
      problem: expect.stringContaining('NEW_AND_OLD_IMAGES'),
    }),
  ]);
});

test('a Firehose failure propagates so the stream batch is retried', async () => {
  const archive = createArchiveHandler({
    sink: {
      put: async () => {
        throw new Error('Firehose rejected 1 record(s)');
      },
    },
    pairs: [{ source: 's', destination: 'd1' }],
    logger: memoryLogger(),
  });
  const { records } = recordsOf([sourceWrite('k', T), replica('d1', 'k', T + 1000)]);
  await expect(archive(event(records))).rejects.toThrow('Firehose rejected');
});

/**
 * The latest row per (key, versionId, source, destination), as the README's Athena query takes it:
 * highest revision, then highest sequence.
 */
function latest(rows: ArchiveRow[]): Map<string, ArchiveRow> {
  const out = new Map<string, ArchiveRow>();
  for (const row of rows) {
    const id = `${row.key}|${row.versionId}|${row.source}|${row.destination}`;
    const was = out.get(id);
    if (!was || row.revision > was.revision || (row.revision === was.revision && row.sequence > was.sequence)) out.set(id, row);
  }
  return out;
}

test('property: whatever the order, duplicates and retried batches, the latest row per pair is its final state', async () => {
  const truth = fc.record({
    fates: fc.array(fc.constantFrom('replicated', 'failed', 'failedThenRedriven', 'pending'), { minLength: 2, maxLength: 2 }),
    delays: fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 2, maxLength: 2 }),
    sourceSeen: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(truth, fc.infiniteStream(fc.nat()), fc.array(fc.nat(), { maxLength: 6 }), async (v, order, retries) => {
      const events: S3ChangeEvent[] = [];
      if (v.sourceSeen) events.push(sourceWrite('k', T));
      PAIRS.forEach(({ destination }, i) => {
        const at = T + v.delays[i] * 1000;
        if (v.fates[i] === 'failed' || v.fates[i] === 'failedThenRedriven') events.push(failure(destination, 'k', at));
        if (v.fates[i] === 'replicated' || v.fates[i] === 'failedThenRedriven') {
          events.push(replica(destination, 'k', v.fates[i] === 'failedThenRedriven' ? at + 600_000 : at));
        }
      });
      // Arrival: any order, some events twice.
      const it = order[Symbol.iterator]();
      const delivered = [...events, ...events.filter(() => it.next().value! % 3 === 0)];
      for (let i = delivered.length - 1; i > 0; i--) {
        const j = it.next().value! % (i + 1);
        [delivered[i], delivered[j]] = [delivered[j], delivered[i]];
      }
      const { records, final } = recordsOf(delivered);
      // Batches of 2; a retried batch is delivered again in full (at least once per shard batch).
      const { archive, rows } = setup();
      for (let b = 0; b < records.length; b += 2) {
        const batch = records.slice(b, b + 2);
        await archive(event(batch));
        if (retries.includes(b)) await archive(event(batch));
      }
      const finished = final ? evaluateRecord(final, indexPairs(PAIRS), { at: T, overdueMillis: Number.POSITIVE_INFINITY }) : [];
      const expected = finished
        .filter((s) => s.state === 'COMPLETED' || s.state === 'FAILED')
        .map((s) => [`${s.destination}`, s.state, s.latencySeconds, s.bytes, s.sourceAt, s.failureReason ?? null]);
      const got = [...latest(rows()).values()].map((r) => [r.destination, r.state, r.latencySeconds, r.bytes, r.sourceAt, r.failureReason]);
      expect(got.sort()).toEqual(expected.sort());
    }),
    { numRuns: 200 },
  );
});
