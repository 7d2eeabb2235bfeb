/**
 * Replay of S3's own event shapes (issue 14): classic `ObjectCreated:*` notifications, replicas included, and S3's
 * EventBridge `Object Created` events, through `bin/crr-monitor analyze` and `local --events` as child processes,
 * expecting the exact report from both. Scenarios are built from the real samples in test/fixtures/events (their
 * field layout kept; bucket, key, version, time, size, IDs rewritten): README.md there names their sources.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReplicationReport } from '../../../lambda/core';
import { encodeNotificationKey } from '../../../tools/local-pipeline/events';
import { ROOT, runCli } from '../../support/run-cli';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/events', name), 'utf8'));
/** The aws-samples replica notification (ObjectCreated:Put, principal …:s3-replication, sourceIPAddress 3.22.166.30). */
const NOTIFICATION = JSON.parse(fixture('sqs-event-s3-notification-replica.json').Records[0].body).Records[0];
const OBJECT_CREATED = fixture('eventbridge-object-created.json');

interface Shape {
  bucket: string;
  key: string;
  versionId: string;
  at: string;
  bytes: number;
  /** A replica (the replication role's session), or an uploader's write. */
  replica?: boolean;
  multipart?: boolean;
  sequencer: string;
}

function notification(shape: Shape): object {
  const record = structuredClone(NOTIFICATION);
  record.eventTime = shape.at;
  record.eventName = shape.multipart ? 'ObjectCreated:CompleteMultipartUpload' : 'ObjectCreated:Put';
  if (!shape.replica) {
    record.userIdentity.principalId = 'AWS:AROAEXAMPLEUPLOADER:uploader';
    record.requestParameters.sourceIPAddress = '203.0.113.10';
  }
  record.responseElements['x-amz-request-id'] = `REQ${shape.sequencer}`;
  record.s3.bucket.name = shape.bucket;
  record.s3.bucket.arn = `arn:aws:s3:::${shape.bucket}`;
  Object.assign(record.s3.object, {
    key: encodeNotificationKey(shape.key),
    size: shape.bytes,
    versionId: shape.versionId,
    sequencer: shape.sequencer,
    eTag: shape.multipart ? '67165dca52a1089d312e19c3ddf1e342-1' : record.s3.object.eTag,
  });
  return { Records: [record] };
}

function objectCreated(shape: Omit<Shape, 'replica'>): Record<string, any> {
  const event = structuredClone(OBJECT_CREATED);
  event.time = shape.at;
  event.resources = [`arn:aws:s3:::${shape.bucket}`];
  event.detail.bucket = { name: shape.bucket };
  Object.assign(event.detail.object, { key: shape.key, size: shape.bytes, 'version-id': shape.versionId, sequencer: shape.sequencer });
  event.detail['request-id'] = `REQ${shape.sequencer}`;
  event.detail.reason = shape.multipart ? 'CompleteMultipartUpload' : 'PutObject';
  return event;
}

const snsWrapped = (event: object) => ({
  Type: 'Notification',
  MessageId: 'b0c1',
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:CrrForwarder-us-east-1-Events',
  Message: JSON.stringify(event),
});

const PAIRS = [
  'orders-use1=orders-euw2',
  'shared-use1=shared-euw2', // bi-directional
  'shared-euw2=shared-use1',
  'media-use1=media-euw2', // two destinations
  'media-use1=media-apse2',
];
const AT = '2026-11-20T12:00:00Z';
const KEY = 'docs/a b+c ü.txt';

let dir: string;
let files: string[];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-intake-'));
  const replicaPut = notification({
    bucket: 'orders-euw2',
    key: KEY,
    versionId: 'n-1',
    at: '2026-11-20T10:00:04.250Z',
    bytes: 100,
    replica: true,
    sequencer: '0001',
  });
  const notifications = [
    notification({ bucket: 'orders-use1', key: KEY, versionId: 'n-1', at: '2026-11-20T10:00:00.250Z', bytes: 100, sequencer: '0000' }),
    replicaPut,
    replicaPut, // at-least-once: the same notification delivered twice
    // Batch Replication (or a source write before the feed): the replica alone, a one-way pair.
    notification({
      bucket: 'orders-euw2',
      key: 'old/1.csv',
      versionId: 'n-old',
      at: '2026-11-20T10:01:00Z',
      bytes: 10,
      replica: true,
      sequencer: '0002',
    }),
    // Bi-directional, replica only, multipart: completes shared-use1 → shared-euw2; nothing overdue back to the source.
    notification({
      bucket: 'shared-euw2',
      key: 'big.bin',
      versionId: 'n-bi',
      at: '2026-11-20T10:02:00Z',
      bytes: 7000,
      replica: true,
      multipart: true,
      sequencer: '0003',
    }),
    // Two destinations, each notifying its own replica.
    notification({ bucket: 'media-use1', key: 'v/clip.mp4', versionId: 'n-md', at: '2026-11-20T10:05:00Z', bytes: 500, sequencer: '0004' }),
    notification({
      bucket: 'media-euw2',
      key: 'v/clip.mp4',
      versionId: 'n-md',
      at: '2026-11-20T10:05:02Z',
      bytes: 500,
      replica: true,
      sequencer: '0005',
    }),
    notification({
      bucket: 'media-apse2',
      key: 'v/clip.mp4',
      versionId: 'n-md',
      at: '2026-11-20T10:05:09Z',
      bytes: 500,
      replica: true,
      multipart: true,
      sequencer: '0006',
    }),
    // A source write whose replica never comes: overdue.
    notification({ bucket: 'orders-use1', key: 'late.csv', versionId: 'n-late', at: '2026-11-20T10:06:00Z', bytes: 1, sequencer: '0007' }),
  ];
  const deleted = { ...objectCreated({ bucket: 'orders-use1', key: 'x', versionId: 'e-x', at: AT, bytes: 0, sequencer: '00ff' }) };
  deleted['detail-type'] = 'Object Deleted';
  const eventbridge = [
    objectCreated({ bucket: 'orders-use1', key: 'e/1', versionId: 'e-1', at: '2026-11-20T10:10:00Z', bytes: 20, sequencer: '0100' }),
    snsWrapped(
      objectCreated({ bucket: 'orders-euw2', key: 'e/1', versionId: 'e-1', at: '2026-11-20T10:10:03Z', bytes: 20, sequencer: '0101' }),
    ),
    // A destination write whose source write is not in the input: never its own origin, unattributed offline.
    objectCreated({ bucket: 'orders-euw2', key: 'e/old', versionId: 'e-old', at: '2026-11-20T10:11:00Z', bytes: 30, sequencer: '0102' }),
    // Bi-directional, seen on both sides: the earlier write is the origin.
    objectCreated({ bucket: 'shared-euw2', key: 'e/bi', versionId: 'e-bi', at: '2026-11-20T10:12:02Z', bytes: 40, sequencer: '0103' }),
    objectCreated({ bucket: 'shared-use1', key: 'e/bi', versionId: 'e-bi', at: '2026-11-20T10:12:00Z', bytes: 40, sequencer: '0104' }),
    // Bi-directional, one side only: a replica or a user's write, HeadObject must say.
    objectCreated({ bucket: 'shared-euw2', key: 'e/one', versionId: 'e-one', at: '2026-11-20T10:13:00Z', bytes: 50, sequencer: '0105' }),
    // Two destinations from events alone.
    objectCreated({
      bucket: 'media-use1',
      key: 'e/md',
      versionId: 'e-md',
      at: '2026-11-20T10:14:00Z',
      bytes: 60,
      multipart: true,
      sequencer: '0106',
    }),
    objectCreated({
      bucket: 'media-apse2',
      key: 'e/md',
      versionId: 'e-md',
      at: '2026-11-20T10:14:08Z',
      bytes: 60,
      multipart: true,
      sequencer: '0107',
    }),
    objectCreated({
      bucket: 'media-euw2',
      key: 'e/md',
      versionId: 'e-md',
      at: '2026-11-20T10:14:01Z',
      bytes: 60,
      multipart: true,
      sequencer: '0108',
    }),
    deleted,
  ];
  files = [path.join(dir, 'notifications.jsonl'), path.join(dir, 'eventbridge.jsonl')];
  writeFileSync(files[0], notifications.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(files[1], eventbridge.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reportArgs = () => [...PAIRS.flatMap((p) => ['--pair', p]), '--at', AT, '--format', 'json', ...files];

const EXPECTED: ReplicationReport = {
  asOf: '2026-11-20T12:00:00.000Z',
  pairs: [
    {
      source: 'media-use1',
      destination: 'media-apse2',
      completed: 2,
      completedWithoutSource: 0,
      failed: 0,
      metadataFailed: 0,
      deleteMarkersFailed: 0,
      sourceDeleted: 0,
      pending: 0,
      overdue: 0,
      bytes: 560,
      latencySeconds: { p50: 8, p90: 9, p99: 9, max: 9 },
    },
    {
      source: 'media-use1',
      destination: 'media-euw2',
      completed: 2,
      completedWithoutSource: 0,
      failed: 0,
      metadataFailed: 0,
      deleteMarkersFailed: 0,
      sourceDeleted: 0,
      pending: 0,
      overdue: 0,
      bytes: 560,
      latencySeconds: { p50: 1, p90: 2, p99: 2, max: 2 },
    },
    {
      source: 'orders-use1',
      destination: 'orders-euw2',
      completed: 3,
      completedWithoutSource: 1,
      failed: 0,
      metadataFailed: 0,
      deleteMarkersFailed: 0,
      sourceDeleted: 0,
      pending: 0,
      overdue: 1,
      bytes: 130, // completed versions only: 100 + 10 + 20
      latencySeconds: { p50: 3, p90: 4, p99: 4, max: 4 },
    },
    {
      source: 'shared-use1',
      destination: 'shared-euw2',
      completed: 2,
      completedWithoutSource: 1,
      failed: 0,
      metadataFailed: 0,
      deleteMarkersFailed: 0,
      sourceDeleted: 0,
      pending: 0,
      overdue: 0,
      bytes: 7040,
      latencySeconds: { p50: 2, p90: 2, p99: 2, max: 2 },
    },
  ],
  failures: [],
  overdue: [{ source: 'orders-use1', destination: 'orders-euw2', key: 'late.csv', versionId: 'n-late', pendingSeconds: 6840 }],
  unattributed: 2,
  rejected: 0,
  ignored: 1,
  // RPO at the overdue threshold: completions without a source time never count; the overdue version missed it.
  slo: {
    objectiveSeconds: 900,
    pairs: [
      {
        source: 'media-use1',
        destination: 'media-apse2',
        versions: 2,
        withinObjective: 2,
        missedObjective: 0,
        percentWithin: 100,
        worstSeconds: 9,
        days: [{ day: '2026-11-20', versions: 2, withinObjective: 2, missedObjective: 0, percentWithin: 100, worstSeconds: 9 }],
      },
      {
        source: 'media-use1',
        destination: 'media-euw2',
        versions: 2,
        withinObjective: 2,
        missedObjective: 0,
        percentWithin: 100,
        worstSeconds: 2,
        days: [{ day: '2026-11-20', versions: 2, withinObjective: 2, missedObjective: 0, percentWithin: 100, worstSeconds: 2 }],
      },
      {
        source: 'orders-use1',
        destination: 'orders-euw2',
        versions: 3,
        withinObjective: 2,
        missedObjective: 1,
        percentWithin: 200 / 3,
        worstSeconds: 6840,
        days: [{ day: '2026-11-20', versions: 3, withinObjective: 2, missedObjective: 1, percentWithin: 200 / 3, worstSeconds: 6840 }],
      },
      {
        source: 'shared-use1',
        destination: 'shared-euw2',
        versions: 1,
        withinObjective: 1,
        missedObjective: 0,
        percentWithin: 100,
        worstSeconds: 2,
        days: [{ day: '2026-11-20', versions: 1, withinObjective: 1, missedObjective: 0, percentWithin: 100, worstSeconds: 2 }],
      },
    ],
  },
};

describe('replay of S3 notifications and S3 EventBridge events', () => {
  let analyzed: ReplicationReport;

  it('analyze gives the exact report', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', ...reportArgs()]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    analyzed = JSON.parse(stdout);
    expect(analyzed).toEqual(EXPECTED);
  });

  it('local --events (SNS → SQS → drain → DynamoDB) prints the same report', async () => {
    const { code, stdout, stderr } = await runCli(['local', '--quiet', '--events', ...reportArgs()]);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/rejected|DLQ|error/i);
    expect(JSON.parse(stdout)).toEqual(EXPECTED);
  }, 120_000);
});
