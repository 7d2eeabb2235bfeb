import { encodeNotificationKey } from '../../../lambda/core/keys';

/**
 * Builders of realistic events, in the shapes the samples in /work/shared/events show: EventBridge
 * "AWS API Call via CloudTrail" events for object writes (the uploader's and the replication role's), and
 * native S3 replication notifications (`s3:Replication:*`, URL-encoded keys).
 */
export interface WriteSpec {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly at: number;
  readonly operation?: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload';
  readonly bytes?: number;
  /** Written by S3 replication (the replica). */
  readonly byReplication?: boolean;
  readonly region?: string;
  readonly account?: string;
}

const iso = (at: number) => new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
let counter = 0;
const uuid = () => {
  counter = (counter + 1) % 0xffffffff;
  const hex = (counter.toString(16).padStart(8, '0') + Math.random().toString(16).slice(2, 14).padEnd(12, '0')).slice(0, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
};

/** The CloudTrail record (`detail`) of a successful object write. */
export function cloudTrailWrite(spec: WriteSpec): Record<string, unknown> {
  const operation = spec.operation ?? 'PutObject';
  const account = spec.account ?? '111122223333';
  const region = spec.region ?? 'us-east-1';
  const replication = spec.byReplication ?? false;
  const request: Record<string, unknown> = { bucketName: spec.bucket, Host: `${spec.bucket}.s3.${region}.amazonaws.com`, key: spec.key };
  if (operation === 'CopyObject') request['x-amz-copy-source'] = `staging-bucket/${spec.key}`;
  if (operation === 'CompleteMultipartUpload') request.uploadId = `upload-${uuid()}`;
  const extra: Record<string, unknown> = { SignatureVersion: 'SigV4', AuthenticationMethod: 'AuthHeader' };
  if (operation !== 'CompleteMultipartUpload') extra.bytesTransferredIn = operation === 'CopyObject' ? 0 : spec.bytes ?? 0;
  if (operation === 'CopyObject' && spec.bytes !== undefined) extra.bytesTransferredIn = spec.bytes;
  return {
    eventVersion: '1.09',
    userIdentity: replication
      ? {
          type: 'AssumedRole',
          principalId: 'AROAREPLICATION:s3-replication',
          arn: `arn:aws:sts::${account}:assumed-role/s3-replication-role/s3-replication`,
          accountId: account,
          invokedBy: 's3.amazonaws.com',
        }
      : { type: 'AssumedRole', principalId: 'AROAEXAMPLEID:uploader', arn: `arn:aws:sts::${account}:assumed-role/uploader/session`, accountId: account },
    eventTime: iso(spec.at),
    eventSource: 's3.amazonaws.com',
    eventName: operation,
    awsRegion: region,
    sourceIPAddress: replication ? 's3.amazonaws.com' : '203.0.113.10',
    userAgent: replication ? 's3.amazonaws.com' : '[aws-sdk-js/3.700.0]',
    requestParameters: request,
    responseElements: spec.versionId ? { 'x-amz-server-side-encryption': 'AES256', 'x-amz-version-id': spec.versionId } : null,
    additionalEventData: extra,
    requestID: uuid().slice(0, 16).toUpperCase(),
    eventID: uuid(),
    readOnly: false,
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.bucket}/${spec.key}` },
      { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${spec.bucket}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: account,
    eventCategory: 'Data',
  };
}

/** The EventBridge event wrapping a CloudTrail write record, as the forwarder rule sends it to SNS. */
export function eventBridgeWrite(spec: WriteSpec): Record<string, unknown> {
  const detail = cloudTrailWrite(spec);
  return {
    version: '0',
    id: uuid(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    account: spec.account ?? '111122223333',
    time: detail.eventTime,
    region: spec.region ?? 'us-east-1',
    resources: [],
    detail,
  };
}

export interface FailureSpec {
  readonly source: string;
  readonly destination?: string;
  readonly key: string;
  readonly versionId: string;
  readonly at: number;
  readonly requestedAt?: number;
  readonly reason?: string;
  readonly bytes?: number;
  readonly notice?: 'OperationFailedReplication' | 'OperationMissedThreshold' | 'OperationReplicatedAfterThreshold' | 'OperationNotTracked';
  readonly region?: string;
}

/** A native S3 replication event notification (`{"Records": [...]}`), key URL-encoded as S3 sends it. */
export function replicationNotification(spec: FailureSpec): Record<string, unknown> {
  const notice = spec.notice ?? 'OperationFailedReplication';
  const data: Record<string, unknown> = {
    replicationRuleId: 'rule-1',
    ...(spec.destination ? { destinationBucket: `arn:aws:s3:::${spec.destination}` } : {}),
    s3Operation: 'OBJECT_PUT',
    requestTime: new Date(spec.requestedAt ?? spec.at).toISOString(),
  };
  if (notice === 'OperationFailedReplication') data.failureReason = spec.reason ?? 'DstPutObjectNotPermitted';
  return {
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'aws:s3',
        awsRegion: spec.region ?? 'us-east-1',
        eventTime: new Date(spec.at).toISOString(),
        eventName: `Replication:${notice}`,
        userIdentity: { principalId: 's3.amazonaws.com' },
        requestParameters: { sourceIPAddress: 's3.amazonaws.com' },
        responseElements: { 'x-amz-request-id': uuid().slice(0, 16), 'x-amz-id-2': uuid() },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'replication-events',
          bucket: { name: spec.source, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${spec.source}` },
          object: { key: encodeNotificationKey(spec.key), ...(spec.bytes !== undefined ? { size: spec.bytes } : {}), versionId: spec.versionId, sequencer: '0055AED6DCD90281E5' },
        },
        replicationEventData: data,
      },
    ],
  };
}
