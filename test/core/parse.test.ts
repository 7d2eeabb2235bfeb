import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeNotificationKey, encodeNotificationKey, parseDocument, parseText, type ObjectWrite, type ReplicationNotice } from '../../lambda/core';

const sample = (name: string) => readFileSync(path.join(__dirname, '../fixtures/events', name), 'utf8');
const KEY = '2026/11/pug toast+crumbs ü.jpg';
const VERSION = '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY';

describe('parse: EventBridge CloudTrail events', () => {
  it('reads a source PutObject with its plain key, version, size and time', () => {
    const { events, rejected, ignored } = parseText(sample('eventbridge-putobject-source.json'));
    expect(rejected).toEqual([]);
    expect(ignored).toBe(0);
    expect(events).toEqual<ObjectWrite[]>([
      { type: 'write', bucket: 'photos-use1', key: KEY, versionId: VERSION, at: Date.parse('2026-11-20T10:15:28Z'), operation: 'PutObject', bytes: 48213, byReplication: false },
    ]);
  });

  it('marks the replica write as written by replication, without needing that to match it', () => {
    const [write] = parseText(sample('eventbridge-putobject-replica.json')).events as ObjectWrite[];
    expect(write).toMatchObject({ bucket: 'photos-euw2', key: KEY, versionId: VERSION, byReplication: true });
  });

  it('reads CompleteMultipartUpload as a write and does not take its zero bytesTransferredIn as the size', () => {
    const [write] = parseText(sample('eventbridge-complete-multipart-source.json')).events as ObjectWrite[];
    expect(write).toMatchObject({ operation: 'CompleteMultipartUpload', key: 'video/raw/holiday.mov', versionId: 'Yq2mP.v8kLwX0aZb9cD7eF6gH5iJ4kL3' });
    expect(write.bytes).toBeUndefined();
  });

  it('ignores reads, UploadPart, failed calls and other services, counting each', () => {
    const base = JSON.parse(sample('eventbridge-putobject-source.json'));
    const variants = [
      { ...base, detail: { ...base.detail, eventName: 'GetObject' } },
      { ...base, detail: { ...base.detail, eventName: 'UploadPart' } },
      { ...base, detail: { ...base.detail, errorCode: 'AccessDenied', errorMessage: 'Access Denied' } },
      { ...base, detail: { ...base.detail, eventSource: 'ec2.amazonaws.com' } },
      { ...base, 'detail-type': 'Object Created' },
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
    expect(parseDocument(noKey).rejected).toEqual([{ reason: 'key is missing, expected a non-empty string', where: 'detail.requestParameters.key' }]);
    const badTime = { ...base, detail: { ...base.detail, eventTime: 'yesterday' } };
    expect(parseDocument(badTime).rejected).toEqual([{ reason: 'eventTime "yesterday" is not an ISO-8601 time with a zone (e.g. 2026-11-20T10:00:00Z)', where: 'detail.eventTime' }]);
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
    expect(parseText('{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"photos-use1"}')).toEqual({ events: [], ignored: 1, rejected: [] });
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
      },
    ]);
  });

  it('reads ObjectCreated notifications as writes and ignores removals', () => {
    const doc = JSON.parse(sample('s3-notification-replication-failed.json'));
    const record = doc.Records[0];
    const created = { ...record, eventName: 'ObjectCreated:CompleteMultipartUpload' };
    const removed = { ...record, eventName: 'ObjectRemoved:Delete' };
    const result = parseDocument({ Records: [created, removed] });
    expect(result.ignored).toBe(1);
    expect(result.events).toEqual([
      { type: 'write', bucket: 'photos-use1', key: KEY, versionId: VERSION, at: Date.parse(record.eventTime), operation: 'CompleteMultipartUpload', bytes: 48213, byReplication: true },
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
