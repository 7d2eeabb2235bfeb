/**
 * The replication table's shape, in one place: the drain and sweep write and read it, lib/ declares it.
 *
 * Table: partition key `pk` (S) = object key, sort key `sk` (S) = version ID. One item per object version
 * across all buckets. Every other attribute that starts with `w:`, `f:` or `c:` is a slot (see
 * lambda/core/record.ts), stored as a Map `{at: N, tie: S, what: S, bytes?: N, requestedAt?: N, byReplication?: N}`.
 * TTL attribute `expiresAt` (epoch seconds), written on every update.
 *
 * GSI `pending` (sparse): partition key `pendingShard` (S, "0".."15"), sort key `pendingSince` (N, epoch ms of
 * the source write), projection ALL. Set by a write to a configured source bucket, removed by the sweep once
 * every pair of the version is final (the sweep then records `reported`, the final states it published).
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
export const TTL_ATTRIBUTE = 'expiresAt';
export const PENDING_INDEX = {
  name: 'pending',
  partitionKey: 'pendingShard',
  sortKey: 'pendingSince',
  projection: 'ALL',
  shards: 16,
} as const;
/** Written by the sweep when it settles a record: the final pair states whose metrics it published. */
export const REPORTED_ATTRIBUTE = 'reported';

/** The environment variables the CDK stack sets on the functions. */
export const ENV = {
  tableName: 'TABLE_NAME',
  pendingIndexName: 'PENDING_INDEX_NAME',
  config: 'CONFIG_JSON',
  metricsNamespace: 'METRICS_NAMESPACE',
  archiveStreamName: 'ARCHIVE_STREAM_NAME',
  dlqUrl: 'DLQ_URL',
  /** The drain's own queue, for ChangeMessageVisibility (back-off). */
  queueUrl: 'QUEUE_URL',
  logLevel: 'LOG_LEVEL',
} as const;

/** The shard of a version in the pending index: a stable hash of (key, versionId). */
export function pendingShardOf(key: string, versionId: string, shards: number = PENDING_INDEX.shards): string {
  let hash = 2166136261;
  const text = `${key}\u0000${versionId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return String((hash >>> 0) % shards);
}

/**
 * The drain's exactly-once bookkeeping (issue 9), on every successful drain write:
 * `lw` (S) the token of the write (`<SQS messageId>#<event index>@<ApproximateReceiveCount>`), `lp` the value the
 * written slot held before it (NULL when it had none). An SDK retry whose first attempt committed finds its own
 * token and rebuilds the record as it was before that attempt from `lp`.
 */
export const LAST_WRITE_ATTRIBUTE = 'lw';
export const PREVIOUS_SLOT_ATTRIBUTE = 'lp';

/**
 * GSI `due` (KEYS_ONLY): partition `dueShard` (S, pendingShardOf), sort `dueAt` (N, epoch ms): when the sweep
 * must first look at the version. Written with if_not_exists by the first drain write that marks it.
 */
export const DUE_INDEX = { name: 'due', partitionKey: 'dueShard', sortKey: 'dueAt', shards: 16 } as const;
