import { encodeNotificationKey } from '../../lambda/core/keys';

/**
 * A synthetic replication workload: realistic CloudTrail data events (as EventBridge delivers them)
 * for source writes and their replicas, S3 replication failure notifications, with multipart and
 * copy writes, odd keys, duplicates and out-of-order delivery. Deterministic for a given seed, and it
 * knows its own ground truth, so tests can check the monitor against it.
 */
export interface WorkloadRule {
  readonly source: string;
  readonly destinations: readonly string[];
}

export interface WorkloadOptions {
  readonly objects: number;
  readonly rules: readonly WorkloadRule[];
  /** Share of (object, destination) replications that fail with a failure notification. */
  readonly failRate?: number;
  /** Share that is still unreplicated at the end (the replica never arrives): pending, then overdue. */
  readonly delayRate?: number;
  readonly multipartRate?: number;
  readonly copyRate?: number;
  /** Share of events delivered twice. */
  readonly duplicateRate?: number;
  /** Events are delivered shuffled within windows of this many events. */
  readonly shuffleWindow?: number;
  readonly seed?: number;
  /** Time of the first source write. */
  readonly start?: number;
  /** Mean gap between source writes, ms. */
  readonly spacingMillis?: number;
}

export interface ExpectedPair {
  source: string;
  destination: string;
  completed: number;
  failed: number;
  /** Not replicated: pending or overdue depending on the evaluation time. */
  unreplicated: number;
  bytes: number;
}

export const FAILURE_REASONS = ['DstPutObjectNotPermitted', 'DstKmsKeyNotFound', 'SrcGetObjectNotPermitted', 'DstBucketNotFound'] as const;

const ODD_KEYS = ['reports/Q3 summary.pdf', 'a+b=c/plus+sign.txt', 'unicode/über ünïcødé 写真.jpg', '100% done/file%20name.bin', 'deep/nested/path/with spaces/x.csv'];

/** Mulberry32: a small seeded PRNG, so a workload can be reproduced exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERSION_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

function versionId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 32; i++) id += VERSION_CHARS[Math.floor(random() * VERSION_CHARS.length)];
  return id;
}

const iso = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface WriteSpec {
  bucket: string;
  region: string;
  key: string;
  versionId: string;
  at: number;
  operation: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload';
  bytes: number;
  byReplication: boolean;
  account: string;
}

/** A CloudTrail data event for an object write, wrapped as EventBridge delivers it (~1.5 KB). */
export function cloudTrailWriteEvent(spec: WriteSpec, eventId: string): Record<string, unknown> {
  const identity = spec.byReplication
    ? {
        type: 'AssumedRole',
        principalId: 'AROAREPLROLEID:s3-replication',
        arn: `arn:aws:sts::${spec.account}:assumed-role/s3-replication-role/s3-replication`,
        accountId: spec.account,
        sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAREPLROLEID', arn: `arn:aws:iam::${spec.account}:role/s3-replication-role`, accountId: spec.account, userName: 's3-replication-role' } },
        invokedBy: 's3.amazonaws.com',
      }
    : {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:uploader',
        arn: `arn:aws:sts::${spec.account}:assumed-role/uploader/session`,
        accountId: spec.account,
        accessKeyId: 'ASIAEXAMPLEKEY',
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: `arn:aws:iam::${spec.account}:role/uploader`, accountId: spec.account, userName: 'uploader' },
          attributes: { creationDate: iso(spec.at - 3_600_000), mfaAuthenticated: 'false' },
        },
      };
  const host = `${spec.bucket}.s3.${spec.region}.amazonaws.com`;
  const requestParameters: Record<string, string> = { bucketName: spec.bucket, Host: host, key: spec.key };
  if (spec.operation === 'CompleteMultipartUpload') requestParameters.uploadId = `upload-${eventId}`;
  if (spec.operation === 'CopyObject') requestParameters['x-amz-copy-source'] = `staging-bucket/${encodeURIComponent(spec.key)}`;
  const detail = {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: iso(spec.at),
    eventSource: 's3.amazonaws.com',
    eventName: spec.operation,
    awsRegion: spec.region,
    sourceIPAddress: spec.byReplication ? 's3.amazonaws.com' : '203.0.113.10',
    userAgent: spec.byReplication ? 's3.amazonaws.com' : '[aws-sdk-js/3.700.0]',
    requestParameters,
    responseElements: { 'x-amz-server-side-encryption': 'AES256', 'x-amz-version-id': spec.versionId },
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: spec.operation === 'PutObject' ? spec.bytes : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': 'Kq3nT0yZfExampleId2Value/abcdefghijklmnop=',
      bytesTransferredOut: 0,
    },
    requestID: eventId.slice(0, 16).toUpperCase(),
    eventID: eventId,
    readOnly: false,
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${spec.bucket}/${spec.key}` },
      { accountId: spec.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${spec.bucket}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: spec.account,
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
  return {
    version: '0',
    id: `eb-${eventId}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    account: spec.account,
    time: iso(spec.at),
    region: spec.region,
    resources: [],
    detail,
  };
}

/** An `s3:Replication:OperationFailedReplication` notification, key URL-encoded as S3 sends it. */
export function replicationFailedNotification(
  spec: { source: string; destination: string; key: string; versionId: string; requestedAt: number; at: number; bytes: number; reason: string; region: string },
): Record<string, unknown> {
  return {
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'aws:s3',
        awsRegion: spec.region,
        eventTime: new Date(spec.at).toISOString(),
        eventName: 'Replication:OperationFailedReplication',
        userIdentity: { principalId: 's3.amazonaws.com' },
        requestParameters: { sourceIPAddress: 's3.amazonaws.com' },
        responseElements: { 'x-amz-request-id': 'D82B88E5F771F645', 'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'crr-monitor-replication-failures',
          bucket: { name: spec.source, ownerIdentity: { principalId: 'A3NL1KOZZKEXAMPLE' }, arn: `arn:aws:s3:::${spec.source}` },
          object: { key: encodeNotificationKey(spec.key), size: spec.bytes, eTag: 'd41d8cd98f00b204e9800998ecf8427e', versionId: spec.versionId, sequencer: '0066A1B2C3D4E5F6A7' },
        },
        replicationEventData: {
          replicationRuleId: `replicate-to-${spec.destination}`,
          destinationBucket: `arn:aws:s3:::${spec.destination}`,
          s3Operation: 'OBJECT_PUT',
          requestTime: new Date(spec.requestedAt).toISOString(),
          failureReason: spec.reason,
        },
      },
    ],
  };
}

const REGIONS = ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'us-west-2'];

/**
 * Generates the workload. `emit` receives each delivered event (duplicates included, shuffled within
 * windows); the return value is the ground truth per pair.
 */
export function generateWorkload(options: WorkloadOptions, emit: (event: Record<string, unknown>) => void): ExpectedPair[] {
  const random = seededRandom(options.seed ?? 1);
  const failRate = options.failRate ?? 0.02;
  const delayRate = options.delayRate ?? 0.02;
  const multipartRate = options.multipartRate ?? 0.1;
  const copyRate = options.copyRate ?? 0.05;
  const duplicateRate = options.duplicateRate ?? 0.05;
  const window = Math.max(1, options.shuffleWindow ?? 64);
  const spacing = options.spacingMillis ?? 50;
  let at = options.start ?? Date.parse('2026-11-20T10:00:00Z');
  const account = '111122223333';
  const regionOf = new Map<string, string>();
  const bucketRegion = (bucket: string) => {
    if (!regionOf.has(bucket)) regionOf.set(bucket, REGIONS[regionOf.size % REGIONS.length]);
    return regionOf.get(bucket)!;
  };
  const expected = new Map<string, ExpectedPair>();
  for (const rule of options.rules) {
    for (const destination of rule.destinations) {
      expected.set(`${rule.source}>${destination}`, { source: rule.source, destination, completed: 0, failed: 0, unreplicated: 0, bytes: 0 });
    }
  }
  let buffer: Record<string, unknown>[] = [];
  let sequence = 0;
  const flush = () => {
    for (let i = buffer.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [buffer[i], buffer[j]] = [buffer[j], buffer[i]];
    }
    buffer.forEach(emit);
    buffer = [];
  };
  const deliver = (event: Record<string, unknown>) => {
    buffer.push(event);
    if (random() < duplicateRate) buffer.push(event);
    if (buffer.length >= window) flush();
  };
  const eventId = () => {
    sequence++;
    const hex = sequence.toString(16).padStart(12, '0');
    return `0b1c2d3e-4f5a-6b7c-8d9e-${hex}`;
  };
  for (let n = 0; n < options.objects; n++) {
    const rule = options.rules[n % options.rules.length];
    at += Math.floor(random() * 2 * spacing);
    const roll = random();
    const operation = roll < multipartRate ? 'CompleteMultipartUpload' : roll < multipartRate + copyRate ? 'CopyObject' : 'PutObject';
    const key = random() < 0.1 ? `${ODD_KEYS[n % ODD_KEYS.length].replace('.', `-${n}.`)}` : `data/${(n % 97).toString().padStart(2, '0')}/object-${n}.json`;
    const bytes = operation === 'CompleteMultipartUpload' ? 0 : 1 + Math.floor(random() * 1_000_000);
    const version = versionId(random);
    const sourceRegion = bucketRegion(rule.source);
    deliver(cloudTrailWriteEvent({ bucket: rule.source, region: sourceRegion, key, versionId: version, at, operation, bytes, byReplication: false, account }, eventId()));
    for (const destination of rule.destinations) {
      const truth = expected.get(`${rule.source}>${destination}`)!;
      const fate = random();
      if (fate < failRate) {
        truth.failed++;
        const reason = FAILURE_REASONS[Math.floor(random() * FAILURE_REASONS.length)];
        deliver(replicationFailedNotification({ source: rule.source, destination, key, versionId: version, requestedAt: at, at: at + 30_000, bytes, reason, region: sourceRegion }));
      } else if (fate < failRate + delayRate) {
        truth.unreplicated++;
      } else {
        truth.completed++;
        // Only PutObject events carry a size; multipart replicas are written as multipart too.
        truth.bytes += operation === 'PutObject' ? bytes : 0;
        const latency = 1_000 * (1 + Math.floor(random() * 120));
        const replicaOperation = operation === 'CompleteMultipartUpload' ? 'CompleteMultipartUpload' : 'PutObject';
        const replicaBytes = operation === 'PutObject' ? bytes : 0;
        deliver(
          cloudTrailWriteEvent(
            { bucket: destination, region: bucketRegion(destination), key, versionId: version, at: at + latency, operation: replicaOperation, bytes: replicaBytes, byReplication: true, account },
            eventId(),
          ),
        );
      }
    }
  }
  flush();
  return [...expected.values()];
}
