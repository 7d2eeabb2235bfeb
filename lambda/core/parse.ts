import { bucketFromArn, decodeNotificationKey } from './keys';
import type { ObjectWrite, ReplicationNotice, ReplicationNoticeKind, S3ChangeEvent, WriteOperation } from './types';

/** Why an input was refused, and where inside it (`Records[3].s3.object.key`). */
export interface Rejection {
  readonly reason: string;
  readonly where?: string;
}

export interface ParseResult {
  readonly events: S3ChangeEvent[];
  /** Well-formed inputs that are not object writes or replication notices (GetObject, UploadPart, failed calls...). */
  ignored: number;
  readonly rejected: Rejection[];
}

type Json = Record<string, unknown>;

const CLOUDTRAIL_WRITES: ReadonlySet<string> = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload']);
const NOTIFICATION_WRITES: Readonly<Record<string, WriteOperation>> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'PutObject',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
};
const REPLICATION_NOTICES: ReadonlySet<string> = new Set<ReplicationNoticeKind>([
  'OperationFailedReplication',
  'OperationMissedThreshold',
  'OperationReplicatedAfterThreshold',
  'OperationNotTracked',
]);
const S3_SERVICE = 's3.amazonaws.com';

class Rejected extends Error {
  constructor(readonly reason: string, readonly where: string) {
    super(reason);
  }
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (base: string, field: string) => (base ? `${base}.${field}` : field);

function field(parent: Json, name: string, where: string): Json {
  const value = parent[name];
  if (!isObject(value)) throw new Rejected(`${name} is ${describe(value)}, expected an object`, join(where, name));
  return value;
}

function text(parent: Json, name: string, where: string): string {
  const value = parent[name];
  if (typeof value !== 'string' || value === '') throw new Rejected(`${name} is ${describe(value)}, expected a non-empty string`, join(where, name));
  return value;
}

function time(parent: Json, name: string, where: string): number {
  const raw = text(parent, name, where);
  const at = Date.parse(raw);
  if (Number.isNaN(at)) throw new Rejected(`${name} ${JSON.stringify(raw)} is not an ISO-8601 time`, join(where, name));
  return at;
}

function optionalSize(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'empty' : `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `a ${typeof value}`;
}

/** A CloudTrail record (`detail` of an EventBridge event, or one entry of a log file's `Records`). */
function fromCloudTrailRecord(record: Json, where: string, out: ParseResult): void {
  if (record.eventSource !== S3_SERVICE || !CLOUDTRAIL_WRITES.has(record.eventName as string)) {
    out.ignored++;
    return;
  }
  // A call that failed (AccessDenied, NoSuchUpload...) created no object.
  if (record.errorCode !== undefined && record.errorCode !== null) {
    out.ignored++;
    return;
  }
  const request = field(record, 'requestParameters', where);
  const requestWhere = join(where, 'requestParameters');
  const response = isObject(record.responseElements) ? record.responseElements : undefined;
  const extra = isObject(record.additionalEventData) ? record.additionalEventData : undefined;
  const identity = isObject(record.userIdentity) ? record.userIdentity : undefined;
  const operation = record.eventName as WriteOperation;
  const versionId = response?.['x-amz-version-id'];
  // Built property by property: conditional spreads are several times slower on this hot path.
  const write: { -readonly [K in keyof ObjectWrite]: ObjectWrite[K] } = {
    type: 'write',
    bucket: text(request, 'bucketName', requestWhere),
    key: text(request, 'key', requestWhere),
    at: time(record, 'eventTime', where),
    operation,
    byReplication:
      identity?.invokedBy === S3_SERVICE ||
      identity?.type === 'AWSService' ||
      record.sourceIPAddress === S3_SERVICE ||
      record.userAgent === S3_SERVICE,
  };
  if (typeof versionId === 'string' && versionId !== '') write.versionId = versionId;
  // CompleteMultipartUpload's bytesTransferredIn is 0 whatever the object's size: not a size.
  const bytes = operation === 'CompleteMultipartUpload' ? undefined : optionalSize(extra?.bytesTransferredIn);
  if (bytes !== undefined) write.bytes = bytes;
  out.events.push(write);
}

/** One entry of an S3 event notification's `Records`. */
function fromNotificationRecord(record: Json, where: string, out: ParseResult): void {
  const eventName = text(record, 'eventName', where).replace(/^s3:/, '');
  const s3 = field(record, 's3', where);
  const bucketName = text(field(s3, 'bucket', join(where, 's3')), 'name', join(where, 's3.bucket'));
  const objectWhere = join(where, 's3.object');
  const object = field(s3, 'object', join(where, 's3'));
  const write = NOTIFICATION_WRITES[eventName];
  const notice = eventName.startsWith('Replication:') ? eventName.slice('Replication:'.length) : undefined;
  if (!write && !(notice && REPLICATION_NOTICES.has(notice))) {
    out.ignored++;
    return;
  }
  let key: string;
  try {
    key = decodeNotificationKey(text(object, 'key', objectWhere));
  } catch (error) {
    if (error instanceof Rejected) throw error;
    throw new Rejected(`key ${JSON.stringify(object.key)} is not valid URL encoding`, join(objectWhere, 'key'));
  }
  const at = time(record, 'eventTime', where);
  const bytes = optionalSize(object.size);
  const versionId = typeof object.versionId === 'string' && object.versionId !== '' ? object.versionId : undefined;
  if (write) {
    const request = isObject(record.requestParameters) ? record.requestParameters : undefined;
    out.events.push({
      type: 'write',
      bucket: bucketName,
      key,
      ...(versionId ? { versionId } : {}),
      at,
      operation: write,
      ...(bytes !== undefined ? { bytes } : {}),
      byReplication: request?.sourceIPAddress === S3_SERVICE,
    });
    return;
  }
  if (!versionId) throw new Rejected('versionId is missing: a replication notice must name the source version', join(objectWhere, 'versionId'));
  const data = isObject(record.replicationEventData) ? record.replicationEventData : {};
  const dataWhere = join(where, 'replicationEventData');
  const requestedAt = typeof data.requestTime === 'string' ? time(data, 'requestTime', dataWhere) : undefined;
  const result: ReplicationNotice = {
    type: 'replication',
    notice: notice as ReplicationNoticeKind,
    bucket: bucketName,
    key,
    versionId,
    ...(typeof data.destinationBucket === 'string' && data.destinationBucket !== '' ? { destination: bucketFromArn(data.destinationBucket) } : {}),
    at,
    ...(requestedAt !== undefined ? { requestedAt } : {}),
    ...(typeof data.failureReason === 'string' && data.failureReason !== '' ? { failureReason: data.failureReason } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
  };
  out.events.push(result);
}

/** Dispatches one JSON document of any supported shape; nested envelopes recurse. */
function fromDocument(doc: unknown, where: string, out: ParseResult, depth: number): void {
  if (depth > 4) throw new Rejected('envelopes nested too deep', where);
  if (!isObject(doc)) throw new Rejected(`document is ${describe(doc)}, expected a JSON object`, where || '$');
  // EventBridge event: by far the most common shape, so it is tested first.
  if (typeof doc['detail-type'] === 'string') {
    if (doc['detail-type'] !== 'AWS API Call via CloudTrail') {
      out.ignored++;
      return;
    }
    return fromCloudTrailRecord(field(doc, 'detail', where), join(where, 'detail'), out);
  }
  // SNS notification (an SQS body without raw delivery) or an SNS record of a Lambda event.
  if (doc.Type === 'Notification' || isObject(doc.Sns)) {
    const sns = isObject(doc.Sns) ? doc.Sns : doc;
    const snsWhere = isObject(doc.Sns) ? join(where, 'Sns') : where;
    return fromText(text(sns, 'Message', snsWhere), join(snsWhere, 'Message'), out, depth + 1);
  }
  // SQS record of a Lambda event.
  if (doc.eventSource === 'aws:sqs') return fromText(text(doc, 'body', where), join(where, 'body'), out, depth + 1);
  if (Array.isArray(doc.Records)) {
    const records = doc.Records as unknown[];
    for (let i = 0; i < records.length; i++) {
      // One bad record of a log file must not take its neighbours down with it.
      try {
        fromDocument(records[i], `${join(where, 'Records')}[${i}]`, out, depth + 1);
      } catch (error) {
        if (!(error instanceof Rejected)) throw error;
        out.rejected.push({ reason: error.reason, where: error.where });
      }
    }
    return;
  }
  if (doc.eventSource === 'aws:s3') return fromNotificationRecord(doc, where, out);
  if (typeof doc.eventSource === 'string' && typeof doc.eventName === 'string' && 'eventTime' in doc) {
    return fromCloudTrailRecord(doc, where, out);
  }
  // S3 sends a test event when a notification configuration is saved.
  if (doc.Event === 's3:TestEvent') {
    out.ignored++;
    return;
  }
  throw new Rejected('not a CloudTrail event, EventBridge event, S3 notification, SNS or SQS envelope', where || '$');
}

function fromText(body: string, where: string, out: ParseResult, depth: number): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw new Rejected(`not valid JSON (${(error as Error).message})`, where || '$');
  }
  fromDocument(doc, where, out, depth);
}

/** An empty result to parse into. */
export function emptyParseResult(): ParseResult {
  return { events: [], ignored: 0, rejected: [] };
}

function keepRejection(out: ParseResult, error: unknown): void {
  if (!(error instanceof Rejected)) throw error;
  out.rejected.push({ reason: error.reason, where: error.where });
}

/**
 * Parses an already-decoded JSON document of any supported shape: an EventBridge "AWS API Call via
 * CloudTrail" event, a CloudTrail record or log file (`{"Records": [...]}`), an S3 event notification,
 * an SNS notification or SQS record wrapping any of these. Never throws on bad input: each problem is
 * a rejection with its reason and location, and good records beside it are kept.
 */
export function parseDocument(doc: unknown): ParseResult {
  const out = emptyParseResult();
  try {
    fromDocument(doc, '', out, 0);
  } catch (error) {
    keepRejection(out, error);
  }
  return out;
}

/** `parseDocument` of a JSON text (an SQS body, one line of a JSON Lines file). */
export function parseText(body: string): ParseResult {
  return parseTextInto(body, emptyParseResult());
}

/**
 * `parseText` into `out`, which is cleared first. The offline replay parses millions of lines: reusing
 * one result object spares the collector an object and two arrays per line.
 */
export function parseTextInto(body: string, out: ParseResult): ParseResult {
  out.events.length = 0;
  out.rejected.length = 0;
  out.ignored = 0;
  try {
    fromText(body, '', out, 0);
  } catch (error) {
    keepRejection(out, error);
  }
  return out;
}

export function formatRejection(rejection: Rejection): string {
  // `$` is the document itself: the place (file and line) already says where that is.
  return rejection.where && rejection.where !== '$' ? `${rejection.where}: ${rejection.reason}` : rejection.reason;
}
