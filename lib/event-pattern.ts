import type { EventPattern } from 'aws-cdk-lib/aws-events';

/**
 * The object writes that create a new version. `UploadPart` is not one (the object appears at
 * CompleteMultipartUpload); replication itself may write large replicas as multipart uploads, which end the same way.
 * Keep in sync with OBJECT_WRITE_OPERATIONS in lambda/core/types.ts (a test checks it).
 */
export const OBJECT_WRITE_EVENT_NAMES = ['PutObject', 'CopyObject', 'CompleteMultipartUpload'];

/** EventBridge's default event-pattern size quota is 2,048 characters; stay well below it. */
export const MAX_PATTERN_CHARS = 1800;

/**
 * EventBridge patterns for CloudTrail's object-write data events of `buckets`, split into as many patterns
 * (one rule each) as needed to keep every pattern under the size quota.
 * `account`, when given, restricts the pattern to events of that account (tokens allowed).
 */
export function objectWritePatterns(buckets: readonly string[], account?: readonly string[]): EventPattern[] {
  return chunked(buckets, (names) => ({
    source: ['aws.s3'],
    detailType: ['AWS API Call via CloudTrail'],
    ...(account ? { account: [...account] } : {}),
    detail: {
      eventSource: ['s3.amazonaws.com'],
      eventName: OBJECT_WRITE_EVENT_NAMES,
      requestParameters: { bucketName: names },
    },
  }));
}

/** The detail-type of S3's own EventBridge event for a new object (S3 User Guide, "EventBridge event message structure"). */
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';

/**
 * EventBridge patterns for S3's own `Object Created` events of `buckets` (intake `eventbridge`; each bucket must have
 * EventBridge notifications on), split like objectWritePatterns. Every object creation is one (PutObject, POST,
 * CopyObject, CompleteMultipartUpload), replicas included: there is no reason to filter.
 */
export function objectCreatedPatterns(buckets: readonly string[], account?: readonly string[]): EventPattern[] {
  return chunked(buckets, (names) => ({
    source: ['aws.s3'],
    detailType: [OBJECT_CREATED_DETAIL_TYPE],
    ...(account ? { account: [...account] } : {}),
    detail: { bucket: { name: names } },
  }));
}

/** `build` over the sorted buckets in as few chunks as keep each pattern under MAX_PATTERN_CHARS. */
function chunked(buckets: readonly string[], build: (names: string[]) => EventPattern): EventPattern[] {
  // Measure with literal placeholders for tokens: an account token renders as a 12-digit id.
  const size = (names: string[]) => JSON.stringify(build(names)).replace(/\$\{Token\[[^\]]+\]\}/g, '123456789012').length;
  const chunks: string[][] = [];
  let current: string[] = [];
  for (const bucket of [...buckets].sort()) {
    if (current.length > 0 && size([...current, bucket]) > MAX_PATTERN_CHARS) {
      chunks.push(current);
      current = [];
    }
    current.push(bucket);
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map(build);
}
