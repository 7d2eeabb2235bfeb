import type { ReplicationNoticeKind } from '../../lambda/core';

/**
 * Builders of realistic events, in the shapes of the samples (test/fixtures/events): EventBridge
 * "AWS API Call via CloudTrail" events for object writes — the uploader's and the replication role's,
 * ~1.5 KB like real ones —, the same writes as S3 event notifications (`ObjectCreated:*`) and as S3's own
 * EventBridge events (`Object Created`), and native S3 replication notifications (`s3:Replication:*`, URL-encoded keys).
 * Deterministic: event IDs come from a counter unless given.
 */
/** A key as S3 event notifications write it (URL-encoded, `+` for spaces): the inverse of core's decodeNotificationKey. */
export function encodeNotificationKey(plain: string): string {
  return encodeURIComponent(plain).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export interface WriteSpec {
  readonly bucket: string;
  readonly key: string;
  /** Left out of `responseElements` when absent, as CloudTrail sometimes does. */
  readonly versionId?: string;
  readonly at: number;
  readonly operation?: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload';
  /** `bytesTransferredIn` of PutObject/CopyObject (CompleteMultipartUpload always records 0). */
  readonly bytes?: number;
  /** Written by S3 replication (the replica). */
  readonly byReplication?: boolean;
  readonly region?: string;
  readonly account?: string;
  readonly eventId?: string;
}

export interface NoticeSpec {
  readonly source: string;
  readonly destination?: string;
  readonly key: string;
  readonly versionId: string;
  readonly at: number;
  readonly requestedAt?: number;
  readonly reason?: string;
  readonly bytes?: number;
  readonly notice?: ReplicationNoticeKind;
  readonly region?: string;
}

const DEFAULT_ACCOUNT = '111122223333';
const DEFAULT_REGION = 'us-east-1';
/** CloudTrail times have one-second resolution. */
const iso = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, 'Z');

let sequence = 0;
function nextEventId(): string {
  sequence++;
  return `0b1c2d3e-4f5a-6b7c-8d9e-${sequence.toString(16).padStart(12, '0')}`;
}

/** The CloudTrail record (`detail`, or one entry of a log file) of a successful object write. */
export function cloudTrailWrite(spec: WriteSpec): Record<string, unknown> {
  const operation = spec.operation ?? 'PutObject';
  const account = spec.account ?? DEFAULT_ACCOUNT;
  const region = spec.region ?? DEFAULT_REGION;
  const eventId = spec.eventId ?? nextEventId();
  const identity = spec.byReplication
    ? {
        type: 'AssumedRole',
        principalId: 'AROAREPLROLEID:s3-replication',
        arn: `arn:aws:sts::${account}:assumed-role/s3-replication-role/s3-replication`,
        accountId: account,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAREPLROLEID',
            arn: `arn:aws:iam::${account}:role/s3-replication-role`,
            accountId: account,
            userName: 's3-replication-role',
          },
        },
        invokedBy: 's3.amazonaws.com',
      }
    : {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:uploader',
        arn: `arn:aws:sts::${account}:assumed-role/uploader/session`,
        accountId: account,
        accessKeyId: 'ASIAEXAMPLEKEY',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEID',
            arn: `arn:aws:iam::${account}:role/uploader`,
            accountId: account,
            userName: 'uploader',
          },
          attributes: { creationDate: iso(spec.at - 3_600_000), mfaAuthenticated: 'false' },
        },
      };
  const host = `${spec.bucket}.s3.${region}.amazonaws.com`;
  const requestParameters: Record<string, string> = { bucketName: spec.bucket, Host: host, key: spec.key };
  if (operation === 'CompleteMultipartUpload') requestParameters.uploadId = `upload-${eventId}`;
  if (operation === 'CopyObject') requestParameters['x-amz-copy-source'] = `staging-bucket/${encodeURIComponent(spec.key)}`;
  const responseElements: Record<string, string> = { 'x-amz-server-side-encryption': 'AES256' };
  if (spec.versionId) responseElements['x-amz-version-id'] = spec.versionId;
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: iso(spec.at),
    eventSource: 's3.amazonaws.com',
    eventName: operation,
    awsRegion: region,
    sourceIPAddress: spec.byReplication ? 's3.amazonaws.com' : '203.0.113.10',
    userAgent: spec.byReplication ? 's3.amazonaws.com' : '[aws-sdk-js/3.700.0]',
    requestParameters,
    responseElements,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: operation === 'CompleteMultipartUpload' ? 0 : (spec.bytes ?? 0),
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': 'Kq3nT0yZfExampleId2Value/abcdefghijklmnop=',
      bytesTransferredOut: 0,
    },
    requestID: eventId.slice(-16).toUpperCase(),
    eventID: eventId,
    readOnly: false,
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.bucket}/${spec.key}` },
      { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${spec.bucket}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: account,
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
}

/** The EventBridge event wrapping a CloudTrail write record, as the forwarder rule sends it to SNS. */
export function eventBridgeWrite(spec: WriteSpec): Record<string, unknown> {
  const detail = cloudTrailWrite(spec);
  return {
    version: '0',
    id: `eb-${detail.eventID as string}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    account: spec.account ?? DEFAULT_ACCOUNT,
    time: detail.eventTime,
    region: spec.region ?? DEFAULT_REGION,
    resources: [],
    detail,
  };
}

/** A native S3 replication event notification (`{"Records": [...]}`), key URL-encoded as S3 sends it. */
export function replicationNotification(spec: NoticeSpec): Record<string, unknown> {
  const notice = spec.notice ?? 'OperationFailedReplication';
  const data: Record<string, unknown> = { replicationRuleId: `replicate-to-${spec.destination ?? 'all'}` };
  if (spec.destination) data.destinationBucket = `arn:aws:s3:::${spec.destination}`;
  data.s3Operation = 'OBJECT_PUT';
  data.requestTime = new Date(spec.requestedAt ?? spec.at).toISOString();
  if (notice === 'OperationFailedReplication') data.failureReason = spec.reason ?? 'DstPutObjectNotPermitted';
  const object: Record<string, unknown> = { key: encodeNotificationKey(spec.key) };
  if (spec.bytes !== undefined) object.size = spec.bytes;
  object.eTag = 'd41d8cd98f00b204e9800998ecf8427e';
  object.versionId = spec.versionId;
  object.sequencer = '0066A1B2C3D4E5F6A7';
  return {
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'aws:s3',
        awsRegion: spec.region ?? DEFAULT_REGION,
        eventTime: new Date(spec.at).toISOString(),
        eventName: `Replication:${notice}`,
        userIdentity: { principalId: 's3.amazonaws.com' },
        requestParameters: { sourceIPAddress: 's3.amazonaws.com' },
        responseElements: {
          'x-amz-request-id': 'D82B88E5F771F645',
          'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'crr-monitor-replication-failures',
          bucket: { name: spec.source, ownerIdentity: { principalId: 'A3NL1KOZZKEXAMPLE' }, arn: `arn:aws:s3:::${spec.source}` },
          object,
        },
        replicationEventData: data,
      },
    ],
  };
}

/** The three shapes an object write reaches the monitor in, one per config `intake`. */
export type WriteShape = 'cloudtrail' | 'notifications' | 'eventbridge';

const NOTIFICATION_EVENT_NAMES = {
  PutObject: 'ObjectCreated:Put',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
} as const;

/** A 16-hex-digit S3 sequencer and a 16-character request ID from an event ID (deterministic, distinct per write). */
function identities(eventId: string): { sequencer: string; requestId: string } {
  const hex = eventId
    .replace(/[^0-9a-f]/gi, '')
    .slice(-16)
    .toUpperCase()
    .padStart(16, '0');
  return { sequencer: `00${hex}`, requestId: hex };
}

/**
 * An S3 event notification (`{"Records": [...]}`) of an object write, as S3 sends it to SNS: in the shape of the real
 * samples (oxbow's, aws-samples'): key URL-encoded, time with milliseconds, `size` for every write; a replica's
 * principal is the replication role's session (`AWS:<role id>:s3-replication`) and its `sourceIPAddress` an IP
 * address, a multipart replica's ETag ends `-1`.
 */
function s3NotificationWrite(spec: WriteSpec): Record<string, unknown> {
  const operation = spec.operation ?? 'PutObject';
  const region = spec.region ?? DEFAULT_REGION;
  const { sequencer, requestId } = identities(spec.eventId ?? nextEventId());
  const object: Record<string, unknown> = { key: encodeNotificationKey(spec.key), size: spec.bytes ?? 0 };
  object.eTag = operation === 'CompleteMultipartUpload' ? '67165dca52a1089d312e19c3ddf1e342-1' : 'd41d8cd98f00b204e9800998ecf8427e';
  if (spec.versionId) object.versionId = spec.versionId;
  object.sequencer = sequencer;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date(spec.at).toISOString(),
        eventName: NOTIFICATION_EVENT_NAMES[operation],
        userIdentity: { principalId: spec.byReplication ? 'AWS:AROAREPLROLEID:s3-replication' : 'AWS:AROAEXAMPLEID:uploader' },
        requestParameters: { sourceIPAddress: spec.byReplication ? '10.0.153.194' : '203.0.113.10' },
        responseElements: { 'x-amz-request-id': requestId, 'x-amz-id-2': 'Kq3nT0yZfExampleId2Value/abcdefghijklmnop=' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'crr-monitor',
          bucket: { name: spec.bucket, ownerIdentity: { principalId: 'A3NL1KOZZKEXAMPLE' }, arn: `arn:aws:s3:::${spec.bucket}` },
          object,
        },
      },
    ],
  };
}

const EVENTBRIDGE_REASONS = {
  PutObject: 'PutObject',
  CopyObject: 'CopyObject',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
} as const;

/**
 * S3's own EventBridge event `Object Created` of an object write (S3 User Guide, "EventBridge event message
 * structure"; test/fixtures/events/eventbridge-object-created.json): plain key, `time` in whole seconds, `size`.
 * What `requester` a replica carries is undocumented: the account is written for both (the monitor never reads it).
 */
export function s3EventBridgeWrite(spec: WriteSpec): Record<string, unknown> {
  const operation = spec.operation ?? 'PutObject';
  const account = spec.account ?? DEFAULT_ACCOUNT;
  const eventId = spec.eventId ?? nextEventId();
  const { sequencer, requestId } = identities(eventId);
  const object: Record<string, unknown> = { key: spec.key, size: spec.bytes ?? 0, etag: 'd41d8cd98f00b204e9800998ecf8427e' };
  if (spec.versionId) object['version-id'] = spec.versionId;
  object.sequencer = sequencer;
  return {
    version: '0',
    id: `eb-${eventId}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account,
    time: iso(spec.at),
    region: spec.region ?? DEFAULT_REGION,
    resources: [`arn:aws:s3:::${spec.bucket}`],
    detail: {
      version: '0',
      'event-version': '1.1',
      bucket: { name: spec.bucket },
      object,
      'request-id': requestId,
      requester: account,
      'source-ip-address': spec.byReplication ? '10.0.153.194' : '203.0.113.10',
      reason: EVENTBRIDGE_REASONS[operation],
    },
  };
}

/** The write in the shape of `shape`. */
export function writeEvent(shape: WriteShape, spec: WriteSpec): Record<string, unknown> {
  return shape === 'notifications'
    ? s3NotificationWrite(spec)
    : shape === 'eventbridge'
      ? s3EventBridgeWrite(spec)
      : eventBridgeWrite(spec);
}
