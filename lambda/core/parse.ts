import { isKnownS3Operation } from './failures';
import { bucketFromArn, decodeNotificationKey } from './keys';
import { parseIsoTime } from './time';
import {
  MAX_OBJECT_BYTES,
  type ObjectWrite,
  type ReplicationNotice,
  type ReplicationNoticeKind,
  type S3ChangeEvent,
  type WriteOperation,
} from './types';

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
  /**
   * `replicationEventData.s3Operation` values of the notices parsed that this monitor has not seen (anything but
   * OBJECT_PUT), one entry per notice, verbatim; absent when there are none. The core does no I/O: callers log them.
   */
  unseenOperations?: string[];
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
/** The session name S3 uses when it assumes a rule's replication role: principal IDs end with it. */
const REPLICATION_SESSION = ':s3-replication';
/** Replication writes replicas with these calls only (large ones as multipart uploads); a CopyObject is someone's copy. */
const REPLICA_WRITES: ReadonlySet<string> = new Set(['PutObject', 'CompleteMultipartUpload']);
const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';

class Rejected extends Error {
  constructor(
    readonly reason: string,
    readonly where: string,
  ) {
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
  if (typeof value !== 'string' || value === '')
    throw new Rejected(`${name} is ${describe(value)}, expected a non-empty string`, join(where, name));
  return value;
}

function time(parent: Json, name: string, where: string): number {
  const raw = text(parent, name, where);
  const at = parseIsoTime(raw);
  if (at === undefined) {
    const shown = JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw);
    throw new Rejected(`${name} ${shown} is not an ISO-8601 time with a zone (e.g. 2026-11-20T10:00:00Z)`, join(where, name));
  }
  return at;
}

/**
 * An object size the event gives: absent is fine (undefined), but a size that is not a whole number of bytes
 * between 0 and S3's maximum object size is a record that cannot be trusted, and is rejected with its place.
 */
function optionalSize(parent: Json | undefined, name: string, where: string): number | undefined {
  const value = parent?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_OBJECT_BYTES) {
    const what = typeof value === 'number' ? String(value) : describe(value);
    throw new Rejected(
      `${name} ${what} is not a size in bytes (a whole number from 0 to ${MAX_OBJECT_BYTES}, S3's maximum object size)`,
      join(where, name),
    );
  }
  return value;
}

/**
 * Whether a CloudTrail write was made by S3 replication: a PutObject/CompleteMultipartUpload by the replication
 * role's `…:s3-replication` session, made through S3 itself (`invokedBy` or `sourceIPAddress` s3.amazonaws.com,
 * which a caller cannot set). The destination account's copy of a cross-account replica has `userIdentity.type`
 * `AWSAccount` and a `sharedEventID`, but so does any cross-account user write delivered to the bucket owner:
 * neither is evidence on its own. `userAgent` is the caller's to choose, so it only corroborates.
 */
function isReplicationWrite(record: Json, identity: Json | undefined, operation: string): boolean {
  if (!REPLICA_WRITES.has(operation) || identity === undefined) return false;
  const principal = identity.principalId;
  if (typeof principal !== 'string' || !principal.endsWith(REPLICATION_SESSION)) return false;
  return identity.invokedBy === S3_SERVICE || record.sourceIPAddress === S3_SERVICE;
}

/** A non-empty version ID string, or undefined. */
function versionOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value === '' ? 'empty' : `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
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
  // S3 returns the version in the response; replicas (and some writes) carry it in the request as well, and
  // CloudTrail has been seen to record only the latter.
  const versionId = versionOf(response?.['x-amz-version-id']) ?? versionOf(request['x-amz-version-id']);
  // Built property by property: conditional spreads are several times slower on this hot path.
  const write: { -readonly [K in keyof ObjectWrite]: ObjectWrite[K] } = {
    type: 'write',
    bucket: text(request, 'bucketName', requestWhere),
    key: text(request, 'key', requestWhere),
    at: time(record, 'eventTime', where),
    operation,
    byReplication: isReplicationWrite(record, identity, operation),
  };
  if (versionId !== undefined) write.versionId = versionId;
  // CompleteMultipartUpload's bytesTransferredIn is 0 whatever the object's size: not a size, not read.
  const bytes =
    operation === 'CompleteMultipartUpload' ? undefined : optionalSize(extra, 'bytesTransferredIn', join(where, 'additionalEventData'));
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
  const bytes = optionalSize(object, 'size', objectWhere);
  const versionId = versionOf(object.versionId);
  if (write) {
    out.events.push(notificationWrite(record, bucketName, key, versionId, at, write, bytes, eventName, object));
    return;
  }
  if (!versionId)
    throw new Rejected('versionId is missing: a replication notice must name the source version', join(objectWhere, 'versionId'));
  const data = isObject(record.replicationEventData) ? record.replicationEventData : {};
  const dataWhere = join(where, 'replicationEventData');
  const requestedAt = data.requestTime !== undefined ? time(data, 'requestTime', dataWhere) : undefined;
  const result: ReplicationNotice = {
    type: 'replication',
    notice: notice as ReplicationNoticeKind,
    bucket: bucketName,
    key,
    versionId,
    ...(typeof data.destinationBucket === 'string' && data.destinationBucket !== ''
      ? { destination: bucketFromArn(data.destinationBucket) }
      : {}),
    at,
    ...(requestedAt !== undefined ? { requestedAt } : {}),
    ...(typeof data.failureReason === 'string' && data.failureReason !== '' ? { failureReason: data.failureReason } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    ...(typeof data.s3Operation === 'string' && data.s3Operation !== '' ? { s3Operation: data.s3Operation } : {}),
  };
  // A notice about another operation than the object's own replication is not a data failure (lambda/core/failures.ts).
  if (result.s3Operation !== undefined && !isKnownS3Operation(result.s3Operation)) (out.unseenOperations ??= []).push(result.s3Operation);
  out.events.push(result);
}

/**
 * The write of an `ObjectCreated:*` notification record. S3 sends these for replicas too, in the destination: the
 * principal is then the replication role's session (`AWS:<role id>:s3-replication`) and `sourceIPAddress` is an IP
 * address (`10.0.153.194`, `3.22.166.30` in two real samples; test/fixtures/events/README.md), not
 * s3.amazonaws.com — so the principal alone decides. S3 writes the notification, so its principal is S3's word; the
 * residual risk is a person who may assume the replication role and names the session `s3-replication`.
 */
function notificationWrite(
  record: Json,
  bucket: string,
  key: string,
  versionId: string | undefined,
  at: number,
  operation: WriteOperation,
  bytes: number | undefined,
  eventName: string,
  object: Json,
): ObjectWrite {
  const identity = isObject(record.userIdentity) ? record.userIdentity : undefined;
  const principal = typeof identity?.principalId === 'string' ? identity.principalId : '';
  const write: { -readonly [K in keyof ObjectWrite]: ObjectWrite[K] } = {
    type: 'write',
    bucket,
    key,
    at,
    operation,
    byReplication: REPLICA_WRITES.has(operation) && eventName !== 'ObjectCreated:Post' && principal.endsWith(REPLICATION_SESSION),
  };
  if (versionId) write.versionId = versionId;
  if (bytes !== undefined) write.bytes = bytes;
  const response = isObject(record.responseElements) ? record.responseElements : undefined;
  const delivery = deliveryOf(object.sequencer, response?.['x-amz-request-id']);
  if (delivery !== undefined) write.deliveryId = delivery;
  return write;
}

/** `<sequencer>/<request id>`: one notification's identity across its (at-least-once) deliveries; undefined without both. */
function deliveryOf(sequencer: unknown, requestId: unknown): string | undefined {
  return typeof sequencer === 'string' && sequencer !== '' && typeof requestId === 'string' && requestId !== ''
    ? sequencer + '/' + requestId
    : undefined;
}

/** S3's EventBridge `Object Created` `reason` → the write it names (S3 User Guide, "EventBridge event message structure"). */
const EVENTBRIDGE_REASONS: Readonly<Record<string, WriteOperation>> = {
  PutObject: 'PutObject',
  'POST Object': 'PutObject',
  CopyObject: 'CopyObject',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
};

/**
 * S3's own EventBridge event `Object Created` (detail-type `Object Created`, source aws.s3): the bucket, the plain key
 * (not URL-encoded, unlike notifications), `version-id`, `size`, `sequencer`, `request-id`; the time is the
 * envelope's `time`. What `requester` and `reason` a replica carries is undocumented, so the write says its writer is
 * unknown (`writerUnknown`) and the version ID decides (see evaluate.ts). A reason that is missing or new is still an
 * object created: it is read as a PutObject rather than lost.
 */
function fromObjectCreated(doc: Json, where: string, out: ParseResult): void {
  const detailWhere = join(where, 'detail');
  const detail = field(doc, 'detail', where);
  const objectWhere = join(detailWhere, 'object');
  const object = field(detail, 'object', detailWhere);
  const write: { -readonly [K in keyof ObjectWrite]: ObjectWrite[K] } = {
    type: 'write',
    bucket: text(field(detail, 'bucket', detailWhere), 'name', join(detailWhere, 'bucket')),
    key: text(object, 'key', objectWhere),
    at: time(doc, 'time', where),
    operation: (typeof detail.reason === 'string' && EVENTBRIDGE_REASONS[detail.reason]) || 'PutObject',
    byReplication: false,
    writerUnknown: true,
  };
  const versionId = versionOf(object['version-id']);
  if (versionId !== undefined) write.versionId = versionId;
  const bytes = optionalSize(object, 'size', objectWhere);
  if (bytes !== undefined) write.bytes = bytes;
  const delivery = deliveryOf(object.sequencer, detail['request-id']);
  if (delivery !== undefined) write.deliveryId = delivery;
  out.events.push(write);
}

/** Dispatches one JSON document of any supported shape; nested envelopes recurse. */
function fromDocument(doc: unknown, where: string, out: ParseResult, depth: number): void {
  if (depth > 4) throw new Rejected('envelopes nested too deep', where);
  if (!isObject(doc)) throw new Rejected(`document is ${describe(doc)}, expected a JSON object`, where || '$');
  // EventBridge event: by far the most common shape, so it is tested first.
  if (typeof doc['detail-type'] === 'string') {
    // Only AWS can put an event whose source starts with `aws.` on a bus: anything else dressed as a
    // CloudTrail record is someone's claim, not evidence of what S3 did.
    const source = doc.source;
    if (source !== 'aws.s3') {
      if (typeof source === 'string' && source.startsWith('aws.')) {
        out.ignored++;
        return;
      }
      const reason =
        typeof source === 'string'
          ? `source ${JSON.stringify(source.length > 40 ? source.slice(0, 40) + '…' : source)} is not aws.s3`
          : `source is ${describe(source)}, expected aws.s3`;
      throw new Rejected(`${reason}: only AWS can emit aws.* events`, join(where, 'source'));
    }
    if (doc['detail-type'] !== CLOUDTRAIL_DETAIL_TYPE) {
      // S3's own events: Object Created is a write; Object Deleted, Object Restore ... and the rest are not.
      if (doc['detail-type'] === OBJECT_CREATED_DETAIL_TYPE) return fromObjectCreated(doc, where, out);
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
  return parseDocumentInto(doc, emptyParseResult());
}

/** Empties a reused result: every field, so that nothing of the previous document is counted again. */
function clearResult(out: ParseResult): void {
  out.events.length = 0;
  out.rejected.length = 0;
  out.ignored = 0;
  if (out.unseenOperations) out.unseenOperations = undefined;
}

/** `parseDocument` into `out`, which is cleared first (the replay's fast scanner, scan.ts, hands it what it read). */
export function parseDocumentInto(doc: unknown, out: ParseResult): ParseResult {
  clearResult(out);
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
  clearResult(out);
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
