/**
 * Issue 15 through the real command line: replay cases of every failure class and of a chain (A → B → C), through
 * `bin/crr-monitor analyze` and `local --events` as child processes, on the same files, expecting the same report.
 * Scenarios are built from the fixtures (test/fixtures/events, test/fixtures/replay): field layouts kept; bucket,
 * key, version, time and failure reason rewritten.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReplicationReport } from '../../../lambda/core';
import { ROOT, runCli } from '../../support/run-cli';
import { encodeNotificationKey } from '../../../tools/local-pipeline/events';

const fixture = (dir: string, name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures', dir, name), 'utf8'));
const SOURCE = fixture('events', 'eventbridge-putobject-source.json');
const REPLICA = fixture('events', 'eventbridge-putobject-replica.json');
const FAILED = fixture('replay', 's3-notification-operation-failed-docs.json');

const at = (seconds: number) => new Date(Date.parse('2026-11-20T10:00:00Z') + seconds * 1000).toISOString();

/** A CloudTrail write (EventBridge) of the template with its object rewritten. */
function write(template: Record<string, any>, bucket: string, key: string, versionId: string, seconds: number, bytes = 100) {
  const event = structuredClone(template);
  const detail = event.detail;
  event.time = detail.eventTime = at(seconds).replace(/\.000Z$/, 'Z');
  detail.requestParameters.bucketName = bucket;
  detail.requestParameters.key = key;
  detail.requestParameters.Host = `${bucket}.s3.amazonaws.com`;
  detail.responseElements['x-amz-version-id'] = versionId;
  if (detail.requestParameters['x-amz-version-id']) detail.requestParameters['x-amz-version-id'] = versionId;
  detail.additionalEventData.bytesTransferredIn = bytes;
  detail.resources[0].ARN = `arn:aws:s3:::${bucket}/${key}`;
  detail.resources[1].ARN = `arn:aws:s3:::${bucket}`;
  return event;
}

/** The docs' OperationFailedReplication message rewritten (S3 sends each notice as a `Records` document). */
function failed(
  source: string,
  destination: string,
  key: string,
  versionId: string,
  seconds: number,
  reason: string,
  s3Operation?: string,
) {
  const doc = structuredClone(FAILED);
  const record = doc.Records[0];
  record.eventTime = at(seconds);
  record.s3.bucket.name = source;
  record.s3.bucket.arn = `arn:aws:s3:::${source}`;
  record.s3.object.key = encodeNotificationKey(key);
  record.s3.object.versionId = versionId;
  record.s3.object.size = 100;
  record.replicationEventData.destinationBucket = `arn:aws:s3:::${destination}`;
  record.replicationEventData.requestTime = at(0);
  record.replicationEventData.failureReason = reason;
  if (s3Operation) record.replicationEventData.s3Operation = s3Operation;
  return doc;
}

const SRC = 'orders-use1';
const DST = 'orders-euw1';
const PAIRS = [`${SRC}=${DST}`, 'chain-a=chain-b', 'chain-b=chain-c'];
const AT = '2026-11-20T12:00:00Z';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-failure-replay-'));
  const lines = [
    // metadata, replica proven: COMPLETED, counted in metadataFailed.
    write(SOURCE, SRC, 'tags.csv', 'm-1', 0),
    write(REPLICA, DST, 'tags.csv', 'm-1', 5),
    failed(SRC, DST, 'tags.csv', 'm-1', 120, 'DstPutTaggingNotPermitted'),
    // metadata, no replica: FAILED (class metadata).
    write(SOURCE, SRC, 'acl one.csv', 'm-2', 0),
    failed(SRC, DST, 'acl one.csv', 'm-2', 30, 'DstPutAclNotPermitted'),
    // A notice about another operation than OBJECT_PUT (a value the docs never show): not a data failure.
    write(SOURCE, SRC, 'other-op.csv', 'o-1', 0),
    write(REPLICA, DST, 'other-op.csv', 'o-1', 4),
    failed(SRC, DST, 'other-op.csv', 'o-1', 200, 'AssumeRoleNotPermitted', 'OBJECT_TAGGING_PUT'),
    // sourceDeleted: neither failed nor pending nor overdue.
    write(SOURCE, SRC, 'gone.csv', 's-1', 0),
    failed(SRC, DST, 'gone.csv', 's-1', 40, 'SrcVersionNotFound'),
    // deleteMarker: only its notice (DeleteObject is not an object write).
    failed(SRC, DST, 'marker.csv', 'd-1', 50, 'DstDelObjNotPermitted'),
    // data, with the docs' spelling until 2023.
    write(SOURCE, SRC, 'big.bin', 'f-1', 0),
    failed(SRC, DST, 'big.bin', 'f-1', 60, 'DstMultipartPartUploadNotPermitted'),
    // Chain A → B → C: A's version replicates to B and stops there; B's own write goes on to C.
    write(SOURCE, 'chain-a', 'c/1.txt', 'ch-1', 0),
    write(REPLICA, 'chain-b', 'c/1.txt', 'ch-1', 3),
    write(SOURCE, 'chain-b', 'c/2.txt', 'ch-2', 10),
    write(REPLICA, 'chain-c', 'c/2.txt', 'ch-2', 12),
    // A replica in B whose source write in A was never seen: A → B, still nothing expected in C.
    write(REPLICA, 'chain-b', 'c/3.txt', 'ch-3', 20),
  ];
  file = path.join(dir, 'events.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = (format: 'json' | 'table') => [...PAIRS.flatMap((p) => ['--pair', p]), '--at', AT, '--format', format, file];

function expectVerdicts(report: ReplicationReport): void {
  const pair = (source: string, destination: string) => report.pairs.find((p) => p.source === source && p.destination === destination);
  expect(pair(SRC, DST)).toEqual({
    source: SRC,
    destination: DST,
    completed: 2,
    completedWithoutSource: 0,
    failed: 2,
    metadataFailed: 2,
    deleteMarkersFailed: 1,
    sourceDeleted: 1,
    pending: 0,
    overdue: 0,
    bytes: 200,
    latencySeconds: { p50: 4, p90: 5, p99: 5, max: 5 },
  });
  expect(report.failures.map((f) => [f.key, f.reason, f.class])).toEqual([
    ['acl one.csv', 'DstPutAclNotPermitted', 'metadata'],
    ['big.bin', 'DstMultipartPartUploadNotPermitted', 'data'],
    ['gone.csv', 'SrcVersionNotFound', 'sourceDeleted'],
    ['marker.csv', 'DstDelObjNotPermitted', 'deleteMarker'],
    ['other-op.csv', 'AssumeRoleNotPermitted', 'metadata'],
    ['tags.csv', 'DstPutTaggingNotPermitted', 'metadata'],
  ]);
  expect(pair('chain-a', 'chain-b')).toMatchObject({ completed: 2, completedWithoutSource: 1, pending: 0, overdue: 0 });
  // B → C tracks only B's own writes: A's versions replicated into B are not expected in C.
  expect(pair('chain-b', 'chain-c')).toMatchObject({ completed: 1, completedWithoutSource: 0, pending: 0, overdue: 0 });
  expect(report.overdue).toEqual([]);
  expect(report.rejected).toBe(0);
}

describe('replay of failure classes and a chain', () => {
  let analyzed: ReplicationReport;

  it('analyze (bin/crr-monitor) classes every notice, and names the s3Operation it has not seen', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', ...args('json')]);
    expect(code).toBe(0);
    expect(stderr).toBe(
      `${file}:8: replication notice with s3Operation "OBJECT_TAGGING_PUT" (not OBJECT_PUT): counted as a metadata failure, not a data failure\n`,
    );
    analyzed = JSON.parse(stdout);
    expectVerdicts(analyzed);
  });

  it('local --events, the whole pipeline on emulators, prints the same report', async () => {
    const { code, stdout, stderr } = await runCli(['local', '--quiet', '--events', ...args('json')]);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/rejected|DLQ|error/i);
    const report = JSON.parse(stdout) as ReplicationReport;
    expectVerdicts(report);
    expect(report).toEqual(analyzed);
  }, 120_000);

  it('the table says what is neither failed nor pending, lists each failure with its class, and how to fix each reason', async () => {
    const { code, stdout } = await runCli(['analyze', ...args('table')]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `${SRC} → ${DST}: 2 of the completed with a metadata failure (ACL, tags, Object Lock), 1 delete marker not replicated, 1 source version deleted before replicating`,
    );
    expect(stdout).toMatch(/Failed replications \(6\):\nSOURCE\s+DESTINATION\s+REASON\s+CLASS\s+KEY\s+VERSION/);
    expect(stdout).toMatch(/orders-use1\s+orders-euw1\s+DstDelObjNotPermitted\s+deleteMarker\s+marker\.csv\s+d-1/);
    expect(stdout).toContain('How to fix (S3 User Guide, "Amazon S3 replication failure reasons"):');
    expect(stdout).toMatch(/ {2}DstDelObjNotPermitted: .*s3:ReplicateDelete/);
    expect(stdout).toMatch(/ {2}DstPutAclNotPermitted: .*s3:ReplicateObject/);
    expect(stdout).toMatch(/ {2}DstMultipartPartUploadNotPermitted: .*until 2023/);
    expect(stdout).toMatch(/ {2}SrcVersionNotFound: .*nothing to fix/);
  });
});
