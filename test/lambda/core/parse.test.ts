import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  decodeNotificationKey,
  MAX_OBJECT_BYTES,
  emptyParseResult,
  parseDocument,
  parseDocumentInto,
  parseText,
  parseTextInto,
  type ObjectWrite,
  type ReplicationNotice,
} from '../../../lambda/core';
import { encodeNotificationKey } from '../../../tools/local-pipeline/events';

const sample = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/events', name), 'utf8');
const KEY = '2026/11/pug toast+crumbs ü.jpg';
const VERSION = '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY';

describe('parse: EventBridge CloudTrail events', () => {
  it('reads a source PutObject with its plain key, version, size and time', () => {
    const { events, rejected, ignored } = parseText(sample('eventbridge-putobject-source.json'));
    expect(rejected).toEqual([]);
    expect(ignored).toBe(0);
    expect(events).toEqual<ObjectWrite[]>([
      {
        type: 'write',
        bucket: 'photos-use1',
        key: KEY,
        versionId: VERSION,
        at: Date.parse('2026-11-20T10:15:28Z'),
        operation: 'PutObject',
        bytes: 48213,
        byReplication: false,
      },
    ]);
  });

  it('marks the replica write as written by replication, without needing that to match it', () => {
    const [write] = parseText(sample('eventbridge-putobject-replica.json')).events as ObjectWrite[];
    expect(write).toMatchObject({ bucket: 'photos-euw2', key: KEY, versionId: VERSION, byReplication: true });
  });

  it('reads CompleteMultipartUpload as a write and does not take its zero bytesTransferredIn as the size', () => {
    const [write] = parseText(sample('eventbridge-complete-multipart-source.json')).events as ObjectWrite[];
    expect(write).toMatchObject({
      operation: 'CompleteMultipartUpload',
      key: 'video/raw/holiday.mov',
      versionId: 'Yq2mP.v8kLwX0aZb9cD7eF6gH5iJ4kL3',
    });
    expect(write.bytes).toBeUndefined();
  });

  it('ignores reads, UploadPart, failed calls and other services, counting each', () => {
    const base = JSON.parse(sample('eventbridge-putobject-source.json'));
    const variants = [
      { ...base, detail: { ...base.detail, eventName: 'GetObject' } },
      { ...base, detail: { ...base.detail, eventName: 'UploadPart' } },
      { ...base, detail: { ...base.detail, errorCode: 'AccessDenied', errorMessage: 'Access Denied' } },
      { ...base, detail: { ...base.detail, eventSource: 'ec2.amazonaws.com' } },
      { ...base, 'detail-type': 'Object Deleted' },
      { ...base, 'detail-type': 'Object Restore Completed' },
    ];
    for (const variant of variants) {
      const result = parseDocument(variant);
      expect(result).toEqual({ events: [], ignored: 1, rejected: [] });
    }
  });

  it('keeps a write whose version ID CloudTrail did not record, without a version', () => {
    const base = JSON.parse(sample('eventbridge-putobject-source.json'));
    delete base.detail.responseElements['x-amz-version-id'];
    const [write] = parseDocument(base).events as ObjectWrite[];
    expect(write.versionId).toBeUndefined();
    expect(write.key).toBe(KEY);
  });

  it('rejects a write without a key or with a bad time, naming the field', () => {
    const base = JSON.parse(sample('eventbridge-putobject-source.json'));
    const noKey = { ...base, detail: { ...base.detail, requestParameters: { bucketName: 'photos-use1' } } };
    expect(parseDocument(noKey).rejected).toEqual([
      { reason: 'key is missing, expected a non-empty string', where: 'detail.requestParameters.key' },
    ]);
    const badTime = { ...base, detail: { ...base.detail, eventTime: 'yesterday' } };
    expect(parseDocument(badTime).rejected).toEqual([
      { reason: 'eventTime "yesterday" is not an ISO-8601 time with a zone (e.g. 2026-11-20T10:00:00Z)', where: 'detail.eventTime' },
    ]);
  });
});

describe('parse: envelopes and log files', () => {
  it('unwraps an SQS record whose body is an SNS notification', () => {
    const sqsEvent = JSON.parse(sample('sqs-event-sns-envelope.json'));
    const fromRecord = parseDocument(sqsEvent.Records[0]);
    const fromBody = parseText(sqsEvent.Records[0].body);
    expect(fromRecord.events).toEqual(parseText(sample('eventbridge-putobject-source.json')).events);
    expect(fromBody.events).toEqual(fromRecord.events);
  });

  it('reads every record of a CloudTrail log file', () => {
    const { events } = parseText(sample('cloudtrail-logfile.json'));
    expect(events.map((e) => [e.type === 'write' && e.operation, e.bucket])).toEqual([
      ['PutObject', 'photos-use1'],
      ['CompleteMultipartUpload', 'photos-use1'],
      ['PutObject', 'photos-euw2'],
    ]);
  });

  it('rejects one bad record of a log file and keeps its neighbours', () => {
    const log = JSON.parse(sample('cloudtrail-logfile.json'));
    log.Records.splice(1, 0, 'not a record', { ...log.Records[0], requestParameters: null });
    const result = parseDocument(log);
    expect(result.events).toHaveLength(3);
    expect(result.rejected).toEqual([
      { reason: 'document is the string "not a record", expected a JSON object', where: 'Records[1]' },
      { reason: 'requestParameters is null, expected an object', where: 'Records[2].requestParameters' },
    ]);
  });

  it('rejects text that is not JSON and JSON of an unknown shape, never throwing', () => {
    expect(parseText('{"Records": [').rejected[0].reason).toMatch(/^not valid JSON/);
    expect(parseText('[1,2]').rejected).toEqual([{ reason: 'document is an array, expected a JSON object', where: '$' }]);
    expect(parseText('{"hello":"world"}').rejected[0].reason).toMatch(/not a CloudTrail event/);
    const sns = JSON.stringify({ Type: 'Notification', Message: '{oops' });
    expect(parseText(sns).rejected[0]).toMatchObject({ where: 'Message' });
  });

  it('ignores the S3 test event', () => {
    expect(parseText('{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"photos-use1"}')).toEqual({
      events: [],
      ignored: 1,
      rejected: [],
    });
  });
});

describe('parse: S3 event notifications', () => {
  it('reads a replication failure with its decoded key, reason, destination and request time', () => {
    const { events } = parseText(sample('s3-notification-replication-failed.json'));
    expect(events).toEqual<ReplicationNotice[]>([
      {
        type: 'replication',
        notice: 'OperationFailedReplication',
        bucket: 'photos-use1',
        key: KEY,
        versionId: VERSION,
        destination: 'photos-euw2',
        at: Date.parse('2026-11-20T10:17:05.012Z'),
        requestedAt: Date.parse('2026-11-20T10:15:28.000Z'),
        failureReason: 'DstPutObjectNotPermitted',
        bytes: 48213,
        s3Operation: 'OBJECT_PUT',
      },
    ]);
  });

  it('parseDocumentInto (the scanner hands it a reused result) clears what the previous document left', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    doc.Records[0].replicationEventData.s3Operation = 'OBJECT_TAGGING_PUT';
    const out = parseDocumentInto(doc, emptyParseResult());
    expect(out.unseenOperations).toEqual(['OBJECT_TAGGING_PUT']);
    parseDocumentInto(JSON.parse(sample('eventbridge-putobject-source.json')), out);
    expect([out.unseenOperations, out.events.length, out.rejected]).toEqual([undefined, 1, []]);
  });

  it('keeps replicationEventData.s3Operation verbatim and surfaces values it has not seen for the caller to log', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    expect(parseDocument(doc).unseenOperations).toBeUndefined();
    doc.Records.push(structuredClone(doc.Records[0]), structuredClone(doc.Records[0]));
    doc.Records[1].replicationEventData.s3Operation = 'OBJECT_TAGGING_PUT';
    delete doc.Records[2].replicationEventData.s3Operation;
    const result = parseDocument(doc);
    expect(result.events.map((e) => (e as ReplicationNotice).s3Operation)).toEqual(['OBJECT_PUT', 'OBJECT_TAGGING_PUT', undefined]);
    expect(result.unseenOperations).toEqual(['OBJECT_TAGGING_PUT']);
    // A reused result (the offline replay) starts clean.
    const reused = parseText(JSON.stringify(doc));
    parseTextInto(sample('s3-notification-replication-failed.json'), reused);
    expect(reused.unseenOperations).toBeUndefined();
  });

  it('reads ObjectCreated notifications as writes and ignores removals; S3 as the principal is not the replication role', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    const record = doc.Records[0];
    const created = { ...record, eventName: 'ObjectCreated:CompleteMultipartUpload' };
    const removed = { ...record, eventName: 'ObjectRemoved:Delete' };
    const result = parseDocument({ Records: [created, removed] });
    expect(result.ignored).toBe(1);
    expect(result.events).toEqual([
      {
        type: 'write',
        bucket: 'photos-use1',
        key: KEY,
        versionId: VERSION,
        at: Date.parse(record.eventTime),
        operation: 'CompleteMultipartUpload',
        bytes: 48213,
        // Replicas' notifications name the role's session (AWS:<role id>:s3-replication), never S3 itself.
        byReplication: false,
        deliveryId: '0066A1B2C3D4E5F6A7/D82B88E5F771F645',
      },
    ]);
  });

  it('rejects a malformed key escape and a replication notice without a version', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    const badKey = structuredClone(doc.Records[0]);
    badKey.s3.object.key = 'bad%E0%A4%A';
    const noVersion = structuredClone(doc.Records[0]);
    delete noVersion.s3.object.versionId;
    const result = parseDocument({ Records: [badKey, noVersion] });
    expect(result.events).toEqual([]);
    expect(result.rejected).toEqual([
      { reason: 'key "bad%E0%A4%A" is not valid URL encoding', where: 'Records[0].s3.object.key' },
      { reason: 'versionId is missing: a replication notice must name the source version', where: 'Records[1].s3.object.versionId' },
    ]);
  });
});

describe('notification keys', () => {
  it.each([
    ['2026/11/pug+toast%2Bcrumbs+%C3%BC.jpg', '2026/11/pug toast+crumbs ü.jpg'],
    ['100%25+done/a%2Fb', '100% done/a/b'],
    ['plain/key.txt', 'plain/key.txt'],
  ])('decodes %s', (encoded, plain) => {
    expect(decodeNotificationKey(encoded)).toBe(plain);
  });

  it('round-trips keys with spaces, plus signs, percent signs, unicode and slashes', () => {
    for (const key of ['a b+c%d/é 写真/ +', 'x', '%%', '++  ++']) expect(decodeNotificationKey(encodeNotificationKey(key))).toBe(key);
  });
});

const replay = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/replay', name), 'utf8');

describe('parse: what S3 really writes', () => {
  it('reads the destination account copy of a cross-account replica (AWSAccount, sharedEventID) as a replication write', () => {
    const { events, rejected } = parseText(replay('eventbridge-putobject-replica-cross-account.json'));
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      {
        type: 'write',
        bucket: 'invoices-dr-euc1',
        key: '2026/11/19/INV-000418.pdf',
        versionId: 'kZ0r3b8Q1mTqS9wLx2YpV7cN4dE6fH5j',
        at: Date.parse('2026-11-19T16:42:09Z'),
        operation: 'PutObject',
        bytes: 48213,
        byReplication: true,
      },
    ]);
  });

  it('does not take an ordinary cross-account user write (also AWSAccount + sharedEventID) for replication', () => {
    const [write] = parseText(replay('eventbridge-putobject-cross-account-user.json')).events as ObjectWrite[];
    expect(write).toMatchObject({ bucket: 'invoices-dr-euc1', versionId: 'pQ8s2Lm4Nw6Rt0Vy3Xb5Zd7Fh9Jk1Ac2', byReplication: false });
  });

  it('reads the version ID from requestParameters when responseElements lacks it, in every envelope', () => {
    const doc = JSON.parse(replay('eventbridge-putobject-replica-cross-account.json'));
    delete doc.detail.responseElements['x-amz-version-id'];
    const sns = { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:eu-central-1:222233334444:t', Message: JSON.stringify(doc) };
    const shapes = [
      doc,
      doc.detail,
      { Records: [doc.detail] },
      sns,
      { eventSource: 'aws:sqs', body: JSON.stringify(sns) },
      { eventSource: 'aws:sqs', body: JSON.stringify(doc) },
    ];
    for (const shape of shapes) {
      expect((parseDocument(shape).events[0] as ObjectWrite).versionId).toBe('kZ0r3b8Q1mTqS9wLx2YpV7cN4dE6fH5j');
    }
    delete doc.detail.responseElements;
    expect((parseDocument(doc).events[0] as ObjectWrite).versionId).toBe('kZ0r3b8Q1mTqS9wLx2YpV7cN4dE6fH5j');
  });

  it('prefers responseElements (what S3 answered) when both carry a version ID', () => {
    const doc = JSON.parse(replay('eventbridge-putobject-replica-cross-account.json'));
    doc.detail.requestParameters['x-amz-version-id'] = 'requested';
    expect((parseDocument(doc).events[0] as ObjectWrite).versionId).toBe('kZ0r3b8Q1mTqS9wLx2YpV7cN4dE6fH5j');
  });

  it('needs the s3-replication session and a write through S3 itself: a forged user agent or session name is not enough', () => {
    const base = JSON.parse(sample('eventbridge-putobject-replica.json'));
    const variant = (change: (d: Record<string, any>) => void) => {
      const doc = structuredClone(base);
      change(doc.detail);
      return (parseDocument(doc).events[0] as ObjectWrite).byReplication;
    };
    expect(variant(() => undefined)).toBe(true);
    expect(variant((d) => delete d.userIdentity.invokedBy)).toBe(true); // sourceIPAddress still says S3
    expect(variant((d) => (d.eventName = 'CompleteMultipartUpload'))).toBe(true);
    expect(variant((d) => (d.eventName = 'CopyObject'))).toBe(false);
    expect(variant((d) => (d.userIdentity.principalId = 'AROAREPLROLEID:someone'))).toBe(false);
    // A user who names a session s3-replication and sets the user agent is still calling from their own address.
    expect(
      variant((d) => {
        delete d.userIdentity.invokedBy;
        d.sourceIPAddress = '203.0.113.9';
      }),
    ).toBe(false);
    expect(variant((d) => (d.userIdentity = { type: 'AWSService', invokedBy: 's3.amazonaws.com' }))).toBe(false);
  });
});

describe('parse: times and sizes are what AWS writes, or rejected with their place', () => {
  const base = JSON.parse(sample('eventbridge-putobject-source.json'));
  const withTime = (eventTime: unknown) => parseDocument({ ...base, detail: { ...base.detail, eventTime } });
  const withSize = (bytesTransferredIn: unknown) =>
    parseDocument({ ...base, detail: { ...base.detail, additionalEventData: { ...base.detail.additionalEventData, bytesTransferredIn } } });

  it.each([
    ['2026-11-20T10:00:00Z', Date.UTC(2026, 10, 20, 10)],
    ['2026-11-20T10:00:00.123+02:00', Date.UTC(2026, 10, 20, 8, 0, 0, 123)],
    ['2026-11-20T10:00:00.5-05:30', Date.UTC(2026, 10, 20, 15, 30, 0, 500)],
    ['2024-02-29T23:59:59.999999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
  ])('accepts %s', (eventTime, at) => {
    expect(withTime(eventTime).events[0].at).toBe(at);
  });

  it.each([
    '1',
    'Nov 20 2026',
    '2026-11-20T10:00:00',
    '2026-11-20 10:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-11-20T24:00:00Z',
    '2026-11-20T10:00:00+0200',
    '2026-11-20t10:00:00z',
    '2026-11-20T10:00:00.Z',
  ])('rejects %s with its place, never reading it in local time', (eventTime) => {
    expect(withTime(eventTime)).toEqual({
      events: [],
      ignored: 0,
      rejected: [
        {
          reason: `eventTime ${JSON.stringify(eventTime)} is not an ISO-8601 time with a zone (e.g. 2026-11-20T10:00:00Z)`,
          where: 'detail.eventTime',
        },
      ],
    });
  });

  it('rejects a notice whose requestTime is not a time', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    doc.Records[0].replicationEventData.requestTime = 1795168800;
    expect(parseDocument(doc).rejected).toEqual([
      { reason: 'requestTime is a number, expected a non-empty string', where: 'Records[0].replicationEventData.requestTime' },
    ]);
  });

  it('accepts sizes from 0 to S3 maximum object size (10,000 parts of 5 GiB)', () => {
    expect(MAX_OBJECT_BYTES).toBe(53_687_091_200_000);
    for (const size of [0, 1, MAX_OBJECT_BYTES]) expect((withSize(size).events[0] as ObjectWrite).bytes).toBe(size);
  });

  it.each([[-1], [1.5], [MAX_OBJECT_BYTES + 1], [Infinity], ['48213'], [null]])('rejects the size %p with its place', (size) => {
    const result = withSize(size);
    expect(result.events).toEqual([]);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ where: 'detail.additionalEventData.bytesTransferredIn' });
    expect(result.rejected[0].reason).toMatch(/^bytesTransferredIn .* is not a size in bytes \(a whole number from 0 to 53687091200000/);
  });

  it('rejects a bad notification size at s3.object.size', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    doc.Records[0].s3.object.size = -5;
    expect(parseDocument(doc).rejected[0]).toMatchObject({ where: 'Records[0].s3.object.size' });
  });
});

describe('parse: only S3 can say what S3 did', () => {
  const base = JSON.parse(sample('eventbridge-putobject-source.json'));

  it('ignores other aws.* sources and rejects any other source with the reason, bare or wrapped', () => {
    expect(parseDocument({ ...base, source: 'aws.ec2' })).toEqual({ events: [], ignored: 1, rejected: [] });
    const forged = { ...base, source: 'attacker' };
    const reason = { reason: 'source "attacker" is not aws.s3: only AWS can emit aws.* events', where: 'source' };
    expect(parseDocument(forged)).toEqual({ events: [], ignored: 0, rejected: [reason] });
    const sns = { Type: 'Notification', Message: JSON.stringify(forged) };
    expect(parseDocument(sns).rejected).toEqual([{ ...reason, where: 'Message.source' }]);
    expect(parseDocument({ eventSource: 'aws:sqs', body: JSON.stringify(sns) }).rejected).toEqual([
      { ...reason, where: 'body.Message.source' },
    ]);
    const { source: _, ...sourceless } = base;
    expect(parseDocument(sourceless).rejected).toEqual([
      { reason: 'source is missing, expected aws.s3: only AWS can emit aws.* events', where: 'source' },
    ]);
  });
});

describe('parse: replicas in S3 event notifications (real samples: test/fixtures/events/README.md)', () => {
  it('a CompleteMultipartUpload replica in an SNS envelope: the s3-replication principal decides, though the IP is not S3', () => {
    const result = parseText(sample('sns-s3-notification-replica-multipart.json'));
    expect(result).toEqual({
      events: [
        {
          type: 'write',
          bucket: 'scribd-data-warehouse-dev',
          key: 'databases/airbyte/faker_users/ds=2024-01-25/1706216212007_0.parquet',
          versionId: '3v567TKlEQF5IBoeXrFBRiRX8vY.bY1m',
          at: Date.parse('2024-01-25T20:57:23.379Z'),
          operation: 'CompleteMultipartUpload',
          bytes: 143785,
          byReplication: true,
          deliveryId: '0065B2CB162FC1AC3B/RYAX8R8CB6FF1MQN',
        },
      ],
      ignored: 0,
      rejected: [],
    });
  });

  it('a PutObject replica in a Lambda SQS event', () => {
    const [write] = parseText(sample('sqs-event-s3-notification-replica.json')).events as ObjectWrite[];
    expect(write).toEqual({
      type: 'write',
      bucket: 'aws-cdk-s3-replication-wiackstagingbuckete0fa8810b2c5bdd9517c',
      key: 'aws.test.ts',
      versionId: '1BcZ.nMFgFqbqMHOALqVotZze01QFuDu',
      at: Date.parse('2023-07-24T15:07:43.116Z'),
      operation: 'PutObject',
      bytes: 0,
      byReplication: true,
      deliveryId: '0064BE93A7383AFF0C/5KE88CB4G13G0D1X',
    });
  });

  it('the same record in every envelope (raw, SNS, SQS) reads the same', () => {
    const sqs = JSON.parse(sample('sqs-event-s3-notification-replica.json'));
    const raw = JSON.parse(sqs.Records[0].body);
    const sns = { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', Message: JSON.stringify(raw) };
    const lambdaSns = { Records: [{ EventSource: 'aws:sns', Sns: sns }] };
    const expected = parseDocument(raw).events;
    expect(expected).toHaveLength(1);
    for (const doc of [sqs, sns, lambdaSns, raw.Records[0]]) expect(parseDocument(doc).events).toEqual(expected);
  });

  it('only the principal decides: not a copy, not a POST, not another session, not S3 itself', () => {
    const base = JSON.parse(JSON.parse(sample('sqs-event-s3-notification-replica.json')).Records[0].body).Records[0];
    const variant = (change: (r: Record<string, any>) => void) => {
      const record = structuredClone(base);
      change(record);
      return (parseDocument(record).events[0] as ObjectWrite).byReplication;
    };
    expect(variant(() => undefined)).toBe(true);
    expect(variant((r) => (r.requestParameters.sourceIPAddress = 's3.amazonaws.com'))).toBe(true);
    expect(variant((r) => delete r.requestParameters)).toBe(true);
    expect(variant((r) => (r.eventName = 'ObjectCreated:CompleteMultipartUpload'))).toBe(true);
    expect(variant((r) => (r.eventName = 'ObjectCreated:Copy'))).toBe(false);
    expect(variant((r) => (r.eventName = 'ObjectCreated:Post'))).toBe(false);
    expect(variant((r) => (r.userIdentity.principalId = 'AWS:AROAS5S37JUNW2YZMHWXJ:etl-job'))).toBe(false);
    expect(variant((r) => (r.userIdentity.principalId = 's3.amazonaws.com'))).toBe(false);
    expect(variant((r) => delete r.userIdentity)).toBe(false);
  });

  it('a delivery without a sequencer or request ID has no delivery identity', () => {
    const base = JSON.parse(JSON.parse(sample('sqs-event-s3-notification-replica.json')).Records[0].body).Records[0];
    delete base.s3.object.sequencer;
    expect((parseDocument(base).events[0] as ObjectWrite).deliveryId).toBeUndefined();
  });
});

describe('parse: S3 EventBridge events (S3 User Guide, "EventBridge event message structure")', () => {
  const doc = () => JSON.parse(sample('eventbridge-object-created.json'));

  it('reads Object Created: plain key, version, size, envelope time; the writer unknown; the delivery identity', () => {
    expect(parseText(sample('eventbridge-object-created.json'))).toEqual({
      events: [
        {
          type: 'write',
          bucket: 'amzn-s3-demo-bucket1',
          key: 'example-key',
          versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
          at: Date.parse('2021-11-12T00:00:00Z'),
          operation: 'PutObject',
          bytes: 5,
          byReplication: false,
          writerUnknown: true,
          deliveryId: '617f08299329d189/N4N7GDK58NMKJ12R',
        },
      ],
      ignored: 0,
      rejected: [],
    });
    const [multipart] = parseText(sample('eventbridge-object-created-multipart.json')).events as ObjectWrite[];
    expect(multipart).toMatchObject({ operation: 'CompleteMultipartUpload', bytes: 198524144, writerUnknown: true });
  });

  it.each([
    ['PutObject', 'PutObject'],
    ['POST Object', 'PutObject'],
    ['CopyObject', 'CopyObject'],
    ['CompleteMultipartUpload', 'CompleteMultipartUpload'],
    ['SomethingNew', 'PutObject'],
    [undefined, 'PutObject'],
  ])('reason %s is a %s', (reason, operation) => {
    const event = doc();
    if (reason === undefined) delete event.detail.reason;
    else event.detail.reason = reason;
    expect((parseDocument(event).events[0] as ObjectWrite).operation).toBe(operation);
  });

  it('keeps the key as written: EventBridge keys are not URL-encoded', () => {
    const event = doc();
    event.detail.object.key = KEY;
    expect((parseDocument(event).events[0] as ObjectWrite).key).toBe(KEY);
    event.detail.object.key = 'a+b%20c';
    expect((parseDocument(event).events[0] as ObjectWrite).key).toBe('a+b%20c');
  });

  it('ignores Object Deleted and the other detail types, and rejects an Object Created not from aws.s3', () => {
    for (const type of ['Object Deleted', 'Object Restore Completed', 'Object Tags Added', 'Object Storage Class Changed']) {
      expect(parseDocument({ ...doc(), 'detail-type': type })).toEqual({ events: [], ignored: 1, rejected: [] });
    }
    expect(parseDocument({ ...doc(), source: 'my.app' }).rejected).toEqual([
      { reason: 'source "my.app" is not aws.s3: only AWS can emit aws.* events', where: 'source' },
    ]);
  });

  it('rejects a malformed Object Created naming the field, and keeps one without a version (unversioned bucket)', () => {
    const noObject = doc();
    delete noObject.detail.object;
    expect(parseDocument(noObject).rejected).toEqual([{ reason: 'object is missing, expected an object', where: 'detail.object' }]);
    const badTime = doc();
    badTime.time = 'yesterday';
    expect(parseDocument(badTime).rejected[0].where).toBe('time');
    const badSize = doc();
    badSize.detail.object.size = -1;
    expect(parseDocument(badSize).rejected[0].where).toBe('detail.object.size');
    const noVersion = doc();
    delete noVersion.detail.object['version-id'];
    expect((parseDocument(noVersion).events[0] as ObjectWrite).versionId).toBeUndefined();
  });

  it('reads the same in every envelope (raw, SNS, SQS, Lambda SNS)', () => {
    const raw = doc();
    const sns = { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:ca-central-1:111122223333:t', Message: JSON.stringify(raw) };
    const sqs = { Records: [{ eventSource: 'aws:sqs', body: JSON.stringify(sns) }] };
    const expected = parseDocument(raw).events;
    for (const envelope of [sns, sqs, { Records: [{ Sns: sns }] }]) expect(parseDocument(envelope).events).toEqual(expected);
  });
});
