/**
 * What the HTML page says about a failure reason: its class and what to fix. The page asks only `describeFailure`;
 * the classes are docs/report-schema.md's (`lambda/core/failures.ts` owns them and their hints, and replaces the
 * table below when the branches meet: keep this one function as the seam).
 */

type FailureClass = 'data' | 'metadata' | 'deleteMarker' | 'sourceDeleted';

export interface FailureDescription {
  readonly reason: string;
  readonly class: FailureClass;
  readonly hint: string;
}

const PERMISSION = 'the replication role (its policy, the destination bucket policy, and for KMS the key policy)';

/**
 * Reasons S3 reports in `replicationEventData.failureReason` ("Amazon S3 replication failure reasons",
 * docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html), plus the monitor's own
 * (`ReplicationStatusFailed`: HeadObject said FAILED). A reason not listed is `data` with a general hint.
 */
const KNOWN: Readonly<Record<string, { class: FailureClass; hint: string }>> = {
  AssumeRoleNotPermitted: {
    class: 'data',
    hint: 'S3 cannot assume the rule’s IAM role: fix its trust policy (s3.amazonaws.com) or the role ARN.',
  },
  DstBucketObjectLockConfigMissing: {
    class: 'data',
    hint: 'The source has Object Lock: enable Object Lock on the destination bucket too.',
  },
  DstPutObjectNotPermitted: { class: 'data', hint: `Grant s3:ReplicateObject on the destination to ${PERMISSION}.` },
  DstMultipartUploadNotPermitted: { class: 'data', hint: `Large objects: grant s3:ReplicateObject on the destination to ${PERMISSION}.` },
  DstMultipartPartUploadNotPermitted: {
    class: 'data',
    hint: `Large objects: grant s3:ReplicateObject on the destination to ${PERMISSION}.`,
  },
  DstKmsKeyNotFound: { class: 'data', hint: 'The destination KMS key named in the rule does not exist or is not usable in that Region.' },
  DstKmsKeyInvalidState: { class: 'data', hint: 'The destination KMS key is disabled or pending deletion: enable it.' },
  SrcGetObjectNotPermitted: { class: 'data', hint: 'Grant s3:GetObjectVersionForReplication on the source to the replication role.' },
  DstBucketNotFound: { class: 'data', hint: 'The destination bucket in the rule does not exist (or was renamed): fix the rule.' },
  DstBucketUnversioned: { class: 'data', hint: 'Replication needs versioning: enable it on the destination bucket.' },
  ReplicationStatusFailed: {
    class: 'data',
    hint: 'HeadObject says FAILED: look for the S3 failure notice, then redrive (crr-monitor redrive).',
  },
  DstPutAclNotPermitted: {
    class: 'metadata',
    hint: 'Grant s3:ReplicateObject (ACLs) or disable ACLs (Object Ownership: bucket owner enforced).',
  },
  DstPutTaggingNotPermitted: { class: 'metadata', hint: 'Grant s3:ReplicateTags on the destination to the replication role.' },
  DstPutRetentionNotPermitted: { class: 'metadata', hint: 'Object Lock: grant the role s3:PutObjectRetention on the destination.' },
  DstPutLegalHoldNotPermitted: { class: 'metadata', hint: 'Object Lock: grant the role s3:PutObjectLegalHold on the destination.' },
  DstVersionNotFound: {
    class: 'metadata',
    hint: 'The replica version was gone when its metadata was replicated (deleted in the destination?).',
  },
  DstDelObjNotPermitted: { class: 'deleteMarker', hint: 'Delete marker replication: grant s3:ReplicateDelete on the destination.' },
  SrcVersionNotFound: {
    class: 'sourceDeleted',
    hint: 'The source version was deleted before it replicated: nothing to fix unless that was not intended.',
  },
  SrcKeyNotFound: {
    class: 'sourceDeleted',
    hint: 'The source object was deleted before it replicated: nothing to fix unless that was not intended.',
  },
  SrcObjectNotFound: {
    class: 'sourceDeleted',
    hint: 'The source object was deleted before it replicated: nothing to fix unless that was not intended.',
  },
};

const UNKNOWN_HINT = 'Not a reason this version knows: see the S3 replication failure reasons, then redrive once fixed.';

/** The class and fix hint of a failure; a class the report row carries wins over the table's. */
export function describeFailure(failure: { readonly reason: string; readonly class?: string }): FailureDescription {
  const known = Object.hasOwn(KNOWN, failure.reason) ? KNOWN[failure.reason] : undefined;
  const given = failure.class as FailureClass | undefined;
  return { reason: failure.reason, class: given ?? known?.class ?? 'data', hint: known?.hint ?? UNKNOWN_HINT };
}
