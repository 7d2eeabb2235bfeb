/**
 * The replication-tracking model. Everything here is plain data: no SDK types, no clock, no I/O.
 * Times are epoch milliseconds (number) so that comparisons are cheap and exact.
 */

import type { FailureClass } from './failures';

export type EpochMillis = number;

/** The three API calls that create a new object version. `UploadPart` is not one of them. */
export const OBJECT_WRITE_OPERATIONS = ['PutObject', 'CopyObject', 'CompleteMultipartUpload'] as const;
/**
 * S3's maximum object size: 10,000 parts of at most 5 GiB = 50,000 GiB. The S3 User Guide ("Amazon S3 objects
 * overview", docs.amazonaws.cn/en_us/AmazonS3/latest/userguide/UsingObjects.md, read for this) now says objects
 * "can be up to 50 TB" (the limit was 5 TB before) and "the actual maximum object size is 53.7 TB (48.8 TiB) ...
 * 10,000 maximum parts x 5 GiB per part". A size beyond it is not one S3 can report.
 */
export const MAX_OBJECT_BYTES = 10_000 * 5 * 2 ** 30;

export type WriteOperation = (typeof OBJECT_WRITE_OPERATIONS)[number] | 'ReplicatedAfterThreshold' | 'MissedThreshold';

/** One object version written to one bucket, as a CloudTrail data event or S3 notification tells it. */
export interface ObjectWrite {
  readonly type: 'write';
  readonly bucket: string;
  /** The plain key (URL-decoded for S3 notifications). */
  readonly key: string;
  /** Missing when CloudTrail did not record `x-amz-version-id`; HeadObject is then the fallback. */
  readonly versionId?: string;
  readonly at: EpochMillis;
  readonly operation: WriteOperation;
  /** Object size when the event gives it (PutObject/CopyObject `bytesTransferredIn`, notification `size`). */
  readonly bytes?: number;
  /**
   * Written by S3 replication: PutObject/CompleteMultipartUpload by the replication role's `…:s3-replication`
   * session (CloudTrail: through S3 itself, `invokedBy`/`sourceIPAddress` s3.amazonaws.com; S3 event
   * notifications: the principal alone). Such a write into a configured destination is never a version's origin
   * (see evaluate.ts).
   */
  readonly byReplication: boolean;
  /**
   * The event does not say who wrote the version (S3's EventBridge `Object Created`: what a replica's `requester`
   * is, is undocumented). `byReplication` is then false, but means "not known to be": such a write into a
   * configured destination is a replica when its version is also seen in a source, and is never made an origin on
   * its own word (see evaluate.ts). Absent (not false) for the other shapes, which keeps their objects as they were.
   */
  readonly writerUnknown?: true;
  /**
   * The delivery's identity, for counting a notification once: S3 notifications are at-least-once, and two
   * deliveries of one carry the same `sequencer` and request ID (`<sequencer>/<request id>`). Given by the S3
   * notification and EventBridge shapes when both are present; the record merge needs none (it is idempotent).
   */
  readonly deliveryId?: string;
}

export type ReplicationNoticeKind =
  'OperationFailedReplication' | 'OperationMissedThreshold' | 'OperationReplicatedAfterThreshold' | 'OperationNotTracked';

/** A native S3 replication event notification (`s3:Replication:*`) about one source object version. */
export interface ReplicationNotice {
  readonly type: 'replication';
  readonly notice: ReplicationNoticeKind;
  /** The source bucket: replication notifications are emitted by the source. */
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  /** Destination bucket name (ARN prefix stripped); absent when the notification does not say. */
  readonly destination?: string;
  readonly at: EpochMillis;
  /** `replicationEventData.requestTime`: when the source write asked for replication. */
  readonly requestedAt?: EpochMillis;
  readonly failureReason?: string;
  readonly bytes?: number;
  /**
   * `replicationEventData.s3Operation`, verbatim, when the notice has one. OBJECT_PUT (the only value the docs show)
   * is the object's own replication; any other value makes a failure notice a non-data failure (failures.ts).
   */
  readonly s3Operation?: string;
}

/** `x-amz-replication-status` as HeadObject returns it. */
export type ReplicationStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'REPLICA';

/**
 * What the sweep learned from HeadObject on the source version: its replication status; `NONE` when the
 * version has no status at all (no replication rule applies to it, e.g. outside a rule's prefix filter, so
 * it must not be reported as overdue); `NOT_FOUND` (404) or `FORBIDDEN` (403) when S3 would not say.
 * The last two settle nothing; they are recorded so that the version is not asked about every minute.
 */
export type CheckOutcome = ReplicationStatus | 'NONE' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNKNOWN';

export interface StatusCheck {
  readonly type: 'check';
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly at: EpochMillis;
  readonly status: CheckOutcome;
}

export type S3ChangeEvent = ObjectWrite | ReplicationNotice | StatusCheck;

/** A replication pair: objects written to `source` are expected in `destination`. */
export interface ReplicationPair {
  readonly source: string;
  readonly destination: string;
}

/**
 * The stored record of one object version `(key, versionId)` across every bucket it appears in.
 * It is a map of slots; each slot holds the winning observation of one kind, so that merging is a
 * per-slot lattice join: order-independent and idempotent. One event changes exactly one slot, which
 * is what lets DynamoDB store an event with exactly one conditional UpdateItem.
 */
export interface VersionRecord {
  readonly key: string;
  readonly versionId: string;
  readonly slots: Record<string, SlotValue>;
}

/**
 * A slot's value. `at` and `tie` order competing values: `earliest` slots keep the smallest
 * `(at, tie)`, `latest` slots the largest. Equal `(at, tie)` means the same observation (a duplicate).
 */
export interface SlotValue {
  readonly at: EpochMillis;
  readonly tie: string;
  readonly bytes?: number;
  /** write slots: the operation; failure slots: the failure reason; check slots: the status. */
  readonly what: string;
  /** failure slots: when the source write requested replication, if known. */
  readonly requestedAt?: EpochMillis;
  /**
   * write slots: the writer looked like S3 replication (1) or not (0), or the event did not say (2: S3's
   * EventBridge events; see `ObjectWrite.writerUnknown`).
   */
  readonly byReplication?: WriterKind;
}

export type SlotOrder = 'earliest' | 'latest';

/** A write slot's writer: 0 a user (not replication), 1 S3 replication, 2 not known (see `SlotValue.byReplication`). */
export type WriterKind = 0 | 1 | 2;
/** `WriterKind` 2: the event did not say whether replication wrote the version. */
export const WRITER_UNKNOWN = 2;

/** The single change one event makes to one version record. */
export interface SlotChange {
  readonly key: string;
  readonly versionId: string;
  readonly slot: string;
  readonly keep: SlotOrder;
  readonly value: SlotValue;
}

/**
 * PENDING/OVERDUE/COMPLETED/FAILED are states of an object version's replication. Two more are final and are neither:
 * DELETE_MARKER_FAILED (the version is a delete marker S3 could not replicate) and SOURCE_DELETED (the source version
 * was deleted before it replicated). See lambda/core/failures.ts.
 */
export type PairStateName = 'PENDING' | 'COMPLETED' | 'FAILED' | 'OVERDUE' | 'DELETE_MARKER_FAILED' | 'SOURCE_DELETED';

/** The derived state of one (source, destination, key, versionId). */
export interface PairState {
  readonly source: string;
  readonly destination: string;
  readonly key: string;
  readonly versionId: string;
  readonly state: PairStateName;
  readonly sourceAt: EpochMillis;
  /** COMPLETED: replica time − source time in seconds (never negative); null when only HeadObject said so. */
  readonly latencySeconds: number | null;
  readonly bytes: number;
  /**
   * The failure notice's reason (verbatim) of a FAILED, DELETE_MARKER_FAILED or SOURCE_DELETED pair, and of a COMPLETED
   * one with a metadata failure (`failureClass` metadata: its replica is proven, its ACL/tags/Object Lock are not).
   */
  readonly failureReason?: string;
  /** The class of `failureReason` (lambda/core/failures.ts); present exactly when `failureReason` is. */
  readonly failureClass?: FailureClass;
  /** PENDING/OVERDUE: evaluation time − source time in seconds. */
  readonly pendingSeconds?: number;
  /**
   * COMPLETED from a replication write alone: the source write was never seen (before the trail, older than the
   * records' TTL, Batch Replication). `sourceAt` is then the replica's time and `latencySeconds` is null.
   */
  readonly withoutSource?: boolean;
}
