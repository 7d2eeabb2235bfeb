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
/** Versions are spread over this many index partitions (hot-partition safety at high write rates). */
export const SHARDS = 16;
export const DUE_INDEX = {
  name: 'due',
  partitionKey: 'dueShard',
  sortKey: 'dueAt',
  projection: 'KEYS_ONLY',
  shards: SHARDS,
} as const;
export const ATTENTION_INDEX = {
  name: 'attention',
  partitionKey: 'attnShard',
  sortKey: 'attnSince',
  stateAttribute: 'attnState',
  projection: 'INCLUDE',
  shards: SHARDS,
} as const;
export type AttentionState = 'OVERDUE' | 'FAILED';
/** The sweep cursor's item: its key cannot be an S3 key's version (S3 version IDs never are "sweep-cursor" under "#crr-monitor"). */
export const SWEEP_CURSOR = { pk: '#crr-monitor', sk: 'sweep-cursor', attribute: 'through' } as const;
/** Written by the sweep when it settles a record: the final pair states whose metrics it published. */
export const REPORTED_ATTRIBUTE = 'reported';

/**
 * The table as CreateTable takes it (plain data, no SDK type: lib/ declares the same in store.ts, the local
 * harness and the tests create it on dynalite from this).
 */
export function tableDefinition(tableName: string) {
  const index = (i: typeof DUE_INDEX | typeof ATTENTION_INDEX) => ({
    IndexName: i.name,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection:
      i.projection === 'INCLUDE'
        ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [ATTENTION_INDEX.stateAttribute] }
        : { ProjectionType: 'KEYS_ONLY' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partition, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEY.sort, AttributeType: 'S' as const },
      { AttributeName: DUE_INDEX.partitionKey, AttributeType: 'S' as const },
      { AttributeName: DUE_INDEX.sortKey, AttributeType: 'N' as const },
      { AttributeName: ATTENTION_INDEX.partitionKey, AttributeType: 'S' as const },
      { AttributeName: ATTENTION_INDEX.sortKey, AttributeType: 'N' as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [index(DUE_INDEX), index(ATTENTION_INDEX)],
  };
}

/** The environment variables the CDK stack sets on the functions. */
export const ENV = {
  tableName: 'TABLE_NAME',
  pendingIndexName: 'PENDING_INDEX_NAME',
  dueIndexName: 'DUE_INDEX_NAME',
  attentionIndexName: 'ATTENTION_INDEX_NAME',
  config: 'CONFIG_JSON',
  metricsNamespace: 'METRICS_NAMESPACE',
  archiveStreamName: 'ARCHIVE_STREAM_NAME',
  dlqUrl: 'DLQ_URL',
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
