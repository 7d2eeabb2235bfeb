/**
 * What a replication failure notice is about, by its `failureReason` (issue 15). `OperationFailedReplication` covers
 * objects, delete markers, tags, ACLs and Object Lock settings alike; the reason tells them apart:
 * - `metadata`: the replica's ACL, tags, retention or legal hold could not be set, or the replica whose metadata was
 *   to be updated was not there. The pair is COMPLETED when its replica is proven (counted in `metadataFailed`),
 *   FAILED otherwise.
 * - `deleteMarker`: the version is a delete marker that could not be replicated (`deleteMarkersFailed`); never an
 *   object version FAILED, PENDING or OVERDUE.
 * - `sourceDeleted`: the source version was deleted before it replicated (`sourceDeleted`): neither failed nor
 *   pending nor overdue, and no alarm.
 * - `data`: everything else, including reasons this table does not know (S3 adds reasons over time).
 *
 * The reasons and the hints are the S3 User Guide's table "Amazon S3 replication failure reasons"
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html, read for this in three versions
 * of awsdocs/amazon-s3-userguide and the current page): the union of every reason any version lists. The table has
 * spelled one reason two ways: `DstMultipartPartUploadNotPermitted` (to 2023) and `DstMultipartUploadNotPermitted`
 * (since); both are here. Reasons are compared verbatim (case-sensitive), as S3 writes them. The hints paraphrase
 * the table's descriptions and name the permission it names.
 *
 * Pure: no SDK, no I/O.
 */

export type FailureClass = 'data' | 'metadata' | 'deleteMarker' | 'sourceDeleted';

export const FAILURE_CLASSES: readonly FailureClass[] = ['data', 'metadata', 'deleteMarker', 'sourceDeleted'];

interface ReasonInfo {
  readonly class: FailureClass;
  /** What to check or change, from the S3 docs' description of the reason. */
  readonly hint: string;
}

const DST_REPLICATE_OBJECT =
  'grant the replication role s3:ReplicateObject on the destination bucket (and the bucket policy of a cross-account destination)';

/** Every reason of the S3 docs' table, with its class and a fix hint. */
export const FAILURE_REASONS: Readonly<Record<string, ReasonInfo>> = {
  AssumeRoleNotPermitted: {
    class: 'data',
    hint: "S3 cannot assume the replication rule's (or Batch Operations job's) IAM role: check the role exists and its trust policy allows s3.amazonaws.com (batchoperations.s3.amazonaws.com for Batch Replication)",
  },
  DstBucketInvalidRegion: {
    class: 'data',
    hint: 'Batch Replication only: the destination bucket is not in the Region the Batch Operations job names',
  },
  DstBucketNotFound: {
    class: 'data',
    hint: 'the destination bucket of the replication configuration does not exist: fix the rule or create the bucket',
  },
  DstBucketObjectLockConfigMissing: {
    class: 'data',
    hint: 'the source bucket has Object Lock enabled: enable Object Lock on the destination bucket too',
  },
  DstBucketUnversioned: { class: 'data', hint: 'enable versioning on the destination bucket' },
  DstDelObjNotPermitted: {
    class: 'deleteMarker',
    hint: 'delete markers cannot be replicated: grant the replication role s3:ReplicateDelete on the destination bucket',
  },
  DstKmsKeyInvalidState: {
    class: 'data',
    hint: "the destination's AWS KMS key is not in a valid state (disabled, pending deletion): enable it or choose another key",
  },
  DstKmsKeyNotFound: { class: 'data', hint: 'the AWS KMS key the replication configuration names for the destination does not exist' },
  DstMultipartCompleteNotPermitted: { class: 'data', hint: `multipart replicas cannot be completed: ${DST_REPLICATE_OBJECT}` },
  DstMultipartInitNotPermitted: { class: 'data', hint: `multipart replicas cannot be started: ${DST_REPLICATE_OBJECT}` },
  DstMultipartUploadNotPermitted: { class: 'data', hint: `parts of multipart replicas cannot be uploaded: ${DST_REPLICATE_OBJECT}` },
  DstMultipartPartUploadNotPermitted: {
    class: 'data',
    hint: `parts of multipart replicas cannot be uploaded (the docs' spelling until 2023): ${DST_REPLICATE_OBJECT}`,
  },
  DstObjectHardDeleted: {
    class: 'data',
    hint: 'Batch Replication only: the version was deleted from the destination by its version ID, and Batch Replication does not re-replicate it',
  },
  DstPutAclNotPermitted: { class: 'metadata', hint: `the replica's ACL cannot be set: ${DST_REPLICATE_OBJECT}` },
  DstPutLegalHoldNotPermitted: {
    class: 'metadata',
    hint: "the replica's Object Lock legal hold cannot be set: grant s3:PutObjectLegalHold on the destination bucket",
  },
  DstPutObjectNotPermitted: {
    class: 'data',
    hint: "grant the replication role s3:ReplicateObject (s3:ObjectOwnerOverrideToBucketOwner when it changes the owner) on the destination bucket; with SSE-KMS, allow it kms:Decrypt and kms:GenerateDataKey* in the destination key's policy",
  },
  DstPutRetentionNotPermitted: {
    class: 'metadata',
    hint: "the replica's Object Lock retention period cannot be set: grant s3:PutObjectRetention on the destination bucket",
  },
  DstPutTaggingNotPermitted: { class: 'metadata', hint: `the replica's tags cannot be set: ${DST_REPLICATE_OBJECT} (s3:ReplicateTags)` },
  DstVersionNotFound: {
    class: 'metadata',
    hint: 'the destination does not hold the version whose metadata was to be replicated: check whether the replica was deleted or never replicated (S3 Batch Replication can replicate it)',
  },
  InitiateReplicationNotPermitted: {
    class: 'data',
    hint: 'Batch Replication only: grant the Batch Operations job role s3:InitiateReplication',
  },
  SrcBucketInvalidRegion: {
    class: 'data',
    hint: 'Batch Replication only: the source bucket is not in the Region the Batch Operations job names',
  },
  SrcBucketNotFound: { class: 'data', hint: 'S3 cannot find the source bucket' },
  SrcBucketReplicationConfigMissing: { class: 'data', hint: 'the source bucket has no replication configuration: restore the rule' },
  SrcGetAclNotPermitted: {
    class: 'data',
    hint: 'grant the replication role s3:GetObjectVersionAcl on the source objects; the bucket owner must own them (Object Ownership: bucket owner enforced, or bucket-owner-full-control)',
  },
  SrcGetLegalHoldNotPermitted: {
    class: 'data',
    hint: "S3 cannot read the source version's Object Lock legal hold: check the replication role's source permissions",
  },
  SrcGetObjectNotPermitted: { class: 'data', hint: 'grant the replication role s3:GetObjectVersionForReplication on the source bucket' },
  SrcGetRetentionNotPermitted: {
    class: 'data',
    hint: "S3 cannot read the source version's Object Lock retention: check the replication role's source permissions",
  },
  SrcGetTaggingNotPermitted: { class: 'data', hint: 'grant the replication role s3:GetObjectVersionTagging on the source bucket' },
  SrcHeadObjectNotPermitted: { class: 'data', hint: 'grant the replication role s3:GetObjectVersionForReplication on the source bucket' },
  SrcKeyNotFound: { class: 'sourceDeleted', hint: 'the source key was deleted before it replicated: nothing to replicate, nothing to fix' },
  SrcKmsKeyInvalidState: {
    class: 'data',
    hint: "the source's AWS KMS key is not in a valid state (disabled, pending deletion): enable it",
  },
  SrcObjectNotEligible: {
    class: 'data',
    hint: "the version is not eligible for replication (its storage class, or its tags do not match the rule's filter)",
  },
  SrcObjectNotFound: { class: 'sourceDeleted', hint: 'the source object no longer exists: nothing to replicate, nothing to fix' },
  SrcReplicationNotPending: { class: 'data', hint: 'S3 had already replicated this version: it is no longer pending replication' },
  SrcVersionNotFound: {
    class: 'sourceDeleted',
    hint: 'the source version was deleted before it replicated: nothing to replicate, nothing to fix',
  },
};

/** The hint of a reason this table does not know (or a status the monitor made up, like ReplicationStatusFailed). */
const UNKNOWN_HINT =
  'not a reason the S3 docs list: see the replication rule, the replication role and the destination in the S3 console; S3 Batch Replication can retry FAILED versions';

/** Hints for the reasons the monitor itself writes (not S3's). */
const MONITOR_REASONS: Readonly<Record<string, string>> = {
  ReplicationStatusFailed:
    'HeadObject on the source said x-amz-replication-status FAILED (no failure notice gave a reason): enable replication metrics and s3:Replication:OperationFailedReplication notifications for the reason; S3 Batch Replication can retry it',
  Unknown: 'the failure notice had no failureReason',
};

/** The value of `replicationEventData.s3Operation` of an object's own replication (the only one the docs show). */
export const OBJECT_PUT_OPERATION = 'OBJECT_PUT';
/** s3Operation values seen so far: a notice with another value is logged by the caller (issue 15). */
const KNOWN_OPERATIONS: ReadonlySet<string> = new Set([OBJECT_PUT_OPERATION]);

/** Whether an `s3Operation` value is one this monitor has seen (callers log the others). */
export const isKnownS3Operation = (operation: string): boolean => KNOWN_OPERATIONS.has(operation);

/**
 * The class of a failure notice. A reason the table classes as metadata, delete marker or source deleted keeps its
 * class. Otherwise (a data reason, or one the table does not know) the notice is about the object's data — unless
 * `s3Operation` is present and is not OBJECT_PUT: then it is about some other operation on a version (the docs show
 * no other value; a tag or ACL update is the plausible one), not a data failure of it, and is `metadata` (COMPLETED
 * when the replica is proven, FAILED otherwise, so an unknown value never hides a version that did not replicate).
 */
export function failureClassOf(reason: string, s3Operation?: string): FailureClass {
  const known = Object.prototype.hasOwnProperty.call(FAILURE_REASONS, reason) ? FAILURE_REASONS[reason].class : 'data';
  if (known !== 'data') return known;
  return s3Operation !== undefined && s3Operation !== OBJECT_PUT_OPERATION ? 'metadata' : 'data';
}

/** What to do about a failure reason (S3's, or the monitor's own ReplicationStatusFailed). */
export function failureHint(reason: string): string {
  if (Object.prototype.hasOwnProperty.call(FAILURE_REASONS, reason)) return FAILURE_REASONS[reason].hint;
  if (Object.prototype.hasOwnProperty.call(MONITOR_REASONS, reason)) return MONITOR_REASONS[reason];
  return UNKNOWN_HINT;
}

/**
 * Whether `redrive --state failed` (and the sweep's FAILED attention mark) takes a pair: the classes data and
 * metadata, i.e. FAILED versions and completed versions whose metadata failed. S3 Batch Replication redoes both; a
 * delete marker or a deleted source is not something to replicate again.
 */
export const needsRedrive = (s: { readonly state: string; readonly failureClass?: FailureClass }): boolean =>
  s.state === 'FAILED' || (s.state === 'COMPLETED' && s.failureClass === 'metadata');
