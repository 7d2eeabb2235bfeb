/**
 * Replay of the shapes S3 and CloudTrail really write (issue 8 item 7), through the real command line as a user
 * runs it: `bin/crr-monitor analyze` and `local --events` as child processes, on the same files, expecting the
 * same verdicts. Scenarios are built from the fixtures (test/fixtures/events, test/fixtures/replay): field
 * layouts kept, bucket/key/version/time rewritten.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReplicationReport } from '../../../lambda/core';

import { ROOT, runCli } from '../../support/run-cli';

const fixture = (dir: string, name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures', dir, name), 'utf8'));

const SOURCE = fixture('events', 'eventbridge-putobject-source.json');
const REPLICA = fixture('events', 'eventbridge-putobject-replica.json');
const REPLICA_CROSS_ACCOUNT = fixture('replay', 'eventbridge-putobject-replica-cross-account.json');
const USER_CROSS_ACCOUNT = fixture('replay', 'eventbridge-putobject-cross-account-user.json');

interface Shape {
  bucket: string;
  key: string;
  versionId: string;
  at: string;
  bytes: number;
  /** Where CloudTrail recorded the version ID. */
  versionIn?: 'response' | 'request' | 'both';
}

/** The template event with its object rewritten; everything else (identity, envelope) as recorded. */
function shaped(template: Record<string, any>, shape: Shape): Record<string, any> {
  const event = structuredClone(template);
  const detail = event.detail;
  event.time = detail.eventTime = shape.at;
  detail.requestParameters.bucketName = shape.bucket;
  detail.requestParameters.key = shape.key;
  detail.requestParameters.Host = `${shape.bucket}.s3.amazonaws.com`;
  delete detail.requestParameters['x-amz-version-id'];
  detail.responseElements ??= {};
  delete detail.responseElements['x-amz-version-id'];
  const where = shape.versionIn ?? 'response';
  if (where !== 'request') detail.responseElements['x-amz-version-id'] = shape.versionId;
  if (where !== 'response') detail.requestParameters['x-amz-version-id'] = shape.versionId;
  detail.additionalEventData.bytesTransferredIn = shape.bytes;
  detail.resources[0].ARN = `arn:aws:s3:::${shape.bucket}/${shape.key}`;
  detail.resources[1].ARN = `arn:aws:s3:::${shape.bucket}`;
  return event;
}

const snsWrapped = (event: object) => ({
  Type: 'Notification',
  MessageId: 'b0c1',
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:CrrForwarder-us-east-1-Events',
  Message: JSON.stringify(event),
});

const PAIRS = [
  'invoices-euw1=invoices-dr-euc1', // cross-account: the source is in another account
  'shared-use1=shared-euw2', // bi-directional
  'shared-euw2=shared-use1',
  'media-use1=media-euw2', // multi-destination
  'media-use1=media-apse2',
  'logs-a-use1=logs-central', // a destination with two sources
  'logs-b-use1=logs-central',
];
const AT = '2026-11-20T12:00:00Z';

let dir: string;
let files: string[];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-replay-'));
  // The destination account's trail: a log file of CloudTrail records (no EventBridge wrapper).
  const trail = {
    Records: [
      // Cross-account replica (AWSAccount + sharedEventID) of a source write that the JSON Lines file holds.
      shaped(REPLICA_CROSS_ACCOUNT, {
        bucket: 'invoices-dr-euc1',
        key: 'inv/0418.pdf',
        versionId: 'xa-1',
        at: '2026-11-20T10:00:09Z',
        bytes: 1000,
        versionIn: 'both',
      }),
      // The same shape with the version ID only in requestParameters.
      shaped(REPLICA_CROSS_ACCOUNT, {
        bucket: 'invoices-dr-euc1',
        key: 'inv/0419.pdf',
        versionId: 'xa-2',
        at: '2026-11-20T10:01:04Z',
        bytes: 2000,
        versionIn: 'request',
      }),
      // A replica whose source write is older than the trail: replica only, one configured source.
      shaped(REPLICA_CROSS_ACCOUNT, {
        bucket: 'invoices-dr-euc1',
        key: 'inv/0001.pdf',
        versionId: 'xa-old',
        at: '2026-11-20T10:02:00Z',
        bytes: 4000,
        versionIn: 'request',
      }),
      // A partner's ordinary write into the destination: AWSAccount + sharedEventID too, but no replication.
      shaped(USER_CROSS_ACCOUNT, {
        bucket: 'invoices-dr-euc1',
        key: 'partner/upload.csv',
        versionId: 'xa-user',
        at: '2026-11-20T10:03:00Z',
        bytes: 8000,
      }),
    ].map((event) => event.detail),
  };
  const lines = [
    shaped(SOURCE, { bucket: 'invoices-euw1', key: 'inv/0418.pdf', versionId: 'xa-1', at: '2026-11-20T10:00:01Z', bytes: 1000 }),
    snsWrapped(
      shaped(SOURCE, { bucket: 'invoices-euw1', key: 'inv/0419.pdf', versionId: 'xa-2', at: '2026-11-20T10:01:00Z', bytes: 2000 }),
    ),
    // Bi-directional pair, replica only: written to shared-use1 before the trail, replicated into shared-euw2.
    shaped(REPLICA, {
      bucket: 'shared-euw2',
      key: 'docs/a b+c ü.txt',
      versionId: 'bi-1',
      at: '2026-11-20T10:04:00Z',
      bytes: 300,
      versionIn: 'request',
    }),
    // Multi-destination: the replica event for the second destination is never delivered.
    shaped(SOURCE, { bucket: 'media-use1', key: 'video/clip.mp4', versionId: 'md-1', at: '2026-11-20T10:05:00Z', bytes: 5000 }),
    shaped(REPLICA, { bucket: 'media-euw2', key: 'video/clip.mp4', versionId: 'md-1', at: '2026-11-20T10:05:30Z', bytes: 5000 }),
    // Replica only into a destination two sources feed: which one, only HeadObject can say.
    shaped(REPLICA, { bucket: 'logs-central', key: 'app/2026-11-20.log', versionId: 'lc-1', at: '2026-11-20T10:06:00Z', bytes: 700 }),
  ];
  files = [path.join(dir, 'trail.json'), path.join(dir, 'events.jsonl')];
  writeFileSync(files[0], JSON.stringify(trail));
  writeFileSync(files[1], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reportArgs = () => [...PAIRS.flatMap((p) => ['--pair', p]), '--at', AT, '--format', 'json', ...files];

/** What both commands must find. */
function expectVerdicts(report: ReplicationReport): void {
  const pair = (source: string, destination: string) => report.pairs.find((p) => p.source === source && p.destination === destination);
  // Cross-account: two matched (one with its version only in requestParameters), one replica only; the partner's
  // write is neither a completion nor a source.
  expect(pair('invoices-euw1', 'invoices-dr-euc1')).toEqual({
    source: 'invoices-euw1',
    destination: 'invoices-dr-euc1',
    completed: 3,
    completedWithoutSource: 1,
    failed: 0,
    metadataFailed: 0,
    deleteMarkersFailed: 0,
    sourceDeleted: 0,
    pending: 0,
    overdue: 0,
    bytes: 7000,
    latencySeconds: { p50: 4, p90: 8, p99: 8, max: 8 },
  });
  // Bi-directional replica only: completes shared-use1 → shared-euw2, nothing overdue the other way.
  expect(pair('shared-use1', 'shared-euw2')).toMatchObject({
    completed: 1,
    completedWithoutSource: 1,
    bytes: 300,
    latencySeconds: { max: null },
  });
  expect(pair('shared-euw2', 'shared-use1')).toBeUndefined();
  // Multi-destination with a missing replica event: without HeadObject (analyze; local's sweep has no S3) the
  // second destination stays OVERDUE. The cloud monitor's HeadObject of the version in media-apse2 settles it.
  expect(pair('media-use1', 'media-euw2')).toMatchObject({ completed: 1, completedWithoutSource: 0, latencySeconds: { max: 30 } });
  expect(pair('media-use1', 'media-apse2')).toMatchObject({ completed: 0, overdue: 1 });
  expect(report.overdue).toEqual([
    { source: 'media-use1', destination: 'media-apse2', key: 'video/clip.mp4', versionId: 'md-1', pendingSeconds: 6900 },
  ]);
  // The replica into logs-central cannot be attributed offline.
  expect(report.unattributed).toBe(1);
  expect(report.pairs.filter((p) => p.destination === 'logs-central')).toEqual([]);
  expect(report.failures).toEqual([]);
  expect(report.rejected).toBe(0);
}

describe('replay of real shapes', () => {
  let analyzed: ReplicationReport;

  it('analyze (bin/crr-monitor) gives the verdicts of what S3 really writes', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', ...reportArgs()]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    analyzed = JSON.parse(stdout);
    expectVerdicts(analyzed);
  });

  it('local --events, the whole pipeline on emulators, prints the same report', async () => {
    const { code, stdout, stderr } = await runCli(['local', '--quiet', '--events', ...reportArgs()]);
    // stderr may carry the SDK's Node-version notice on Node 20; nothing may be rejected or dead-lettered.
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/rejected|DLQ|error/i);
    const report = JSON.parse(stdout) as ReplicationReport;
    expectVerdicts(report);
    expect(report).toEqual(analyzed);
  }, 120_000);
});

describe('replay of real shapes: the table', () => {
  it('says which completions had no source write, and how many replicas are unattributed', async () => {
    const { code, stdout } = await runCli(['analyze', ...reportArgs().filter((a) => a !== '--format' && a !== 'json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('Replicas whose source write is not in the input (no latency):');
    expect(stdout).toContain('  invoices-euw1 → invoices-dr-euc1: 1 of the 3 completed');
    expect(stdout).toContain('  shared-use1 → shared-euw2: 1 of the 1 completed');
    expect(stdout).toContain(
      '  unattributed (several configured sources, or an event that does not say it is a replica; HeadObject settles it): 1',
    );
  });
});
