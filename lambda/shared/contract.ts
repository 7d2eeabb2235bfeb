/**
 * The contract between lib/ (which declares the table and sets each function's environment) and the handlers (which
 * read both): environment variable names, the table's layout, and the handler config schema (CONFIG_JSON). One module,
 * imported by both sides, so that neither can drift from the other.
 *
 * ## The table
 * Table: partition key `pk` (S) = object key, sort key `sk` (S) = version ID. One item per object version
 * across all buckets. Every other attribute that starts with `w:`, `f:` or `c:` is a slot (see
 * lambda/core/record.ts), stored as a Map `{at: N, tie: S, what: S, bytes?: N, requestedAt?: N, byReplication?: N}`.
 * TTL attribute `expiresAt` (epoch seconds), written on every update.
 *
 * GSI `due` (KEYS_ONLY): partition `dueShard` (S, "0".."15" = pendingShardOf(key, versionId)), sort `dueAt` (N, epoch
 * ms). Set once (`if_not_exists`) by the drain's write to a configured source bucket's slot: dueAt = max(source time +
 * overdue, drain time + 60 s), so a late source event still crosses the sweep's window after its cursor. Never removed
 * (TTL removes the item): the sweep reads only the entries whose dueAt crosses (cursor, now], never the backlog.
 *
 * GSI `attention` (sparse, INCLUDE attnState): partition `attnShard` (S, same shard), sort `attnSince` (N, source time
 * ms), `attnState` "OVERDUE" | "FAILED". Written and removed only by the sweep: the versions that need looking at
 * again (overdue) or that `status`/`redrive` show (failed).
 *
 * The sweep's cursor is one item (SWEEP_CURSOR): every due entry with dueAt ≤ `through` has been evaluated at least
 * once after it crossed. It carries no slot and no index attribute, so no reader of versions sees it.
 */
import { z } from 'zod';
import type { ReplicationPair } from '../core';
import { CONFIG_DEFAULTS } from './config';

export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
export const TTL_ATTRIBUTE = 'expiresAt';
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

class RuntimeConfigError extends Error {}

/** The environment variables the CDK stack sets on the functions. */
export const ENV = {
  tableName: 'TABLE_NAME',
  dueIndexName: 'DUE_INDEX_NAME',
  attentionIndexName: 'ATTENTION_INDEX_NAME',
  config: 'CONFIG_JSON',
  metricsNamespace: 'METRICS_NAMESPACE',
  archiveStreamName: 'ARCHIVE_STREAM_NAME',
  dlqUrl: 'DLQ_URL',
  /** The drain's own queue, for ChangeMessageVisibility (back-off). */
  queueUrl: 'QUEUE_URL',
  logLevel: 'LOG_LEVEL',
  /** The reconcile handler's settings (RECONCILE_JSON, see reconcileSettingsFrom). */
  reconcile: 'RECONCILE_JSON',
} as const;

// ---- the reconcile handler's settings (RECONCILE_JSON, issue 16) -----------------------------------------------------
// What lib/constructs/reconcile.ts creates and the handler uses: where the inventories and the results are, and the
// Athena workgroup and Glue database it queries in. The pairs and overdueMinutes come from CONFIG_JSON.

const reconcileSettingsSchema = z.strictObject({
  inventoryBucket: z.string().min(1),
  /** '' or ending in '/'. */
  inventoryPrefix: z.string().refine((v) => v === '' || v.endsWith('/')),
  /** Ends in '/': Athena results go to `<outputPrefix>athena/`, reports and manifests to `<outputPrefix>runs/`. */
  outputPrefix: z
    .string()
    .min(1)
    .refine((v) => v.endsWith('/')),
  workgroup: z.string().min(1),
  database: z.string().min(1),
});

export type ReconcileSettings = z.output<typeof reconcileSettingsSchema>;

/** Where, below the output prefix, each kind of output goes (lib/ grants writes there; the handler writes there). */
export const RECONCILE_OUTPUT = { athena: 'athena/', runs: 'runs/' } as const;

export function parseReconcileSettings(text: string | undefined): ReconcileSettings {
  if (!text) throw new RuntimeConfigError(`${ENV.reconcile} is not set`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(`${ENV.reconcile} is not valid JSON: ${(error as Error).message}`);
  }
  const result = reconcileSettingsSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RuntimeConfigError(`${ENV.reconcile} ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

/** The shard of a version in the `due` and `attention` indexes: a stable hash of (key, versionId). */
export function pendingShardOf(key: string, versionId: string, shards: number = SHARDS): string {
  let hash = 2166136261;
  const text = `${key}\u0000${versionId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return String((hash >>> 0) % shards);
}

/**
 * The write log: exactly-once bookkeeping of every slot write (the drain's and the sweep's checks; issues 9, 15.6).
 * Each write shifts the last WRITE_LOG.depth writes to the item down by one and puts itself first, in the same
 * UpdateItem: `lw1` (S) `<slot> <token>` of this write (token: `<SQS messageId>#<event index>@<ApproximateReceiveCount>`,
 * or the sweep's `sweep:<time>:<slot>`), `lp1` the value the slot held before it (NULL when it had none); `lw2`/`lp2`
 * the write before, and so on (NULL: no such write). A retry whose first attempt committed, its response lost, finds its
 * own entry — also under the entries of writes by other workers that came after it — and rebuilds the record as it
 * was just before its write by undoing, newest first, every write down to and including its own.
 */
export const WRITE_LOG = {
  depth: 4,
  entry: (i: number): string => `lw${i}`,
  previous: (i: number): string => `lp${i}`,
} as const;

// ---- the handler config (CONFIG_JSON) ------------------------------------------------------------------------------
// What the handlers need of the crr-monitor config, as the CDK stack passes it:
// `{"pairs": [{"source", "destination"}], "retentionHours", "overdueMinutes", "agentRoles": {"<source bucket>": "<role ARN>"}}`;
// `replication: [{"source", "destinations": [...]}]` (the config file's own shape) is accepted too.

const pairSchema = z.strictObject({ source: z.string().min(1), destination: z.string().min(1) });
const ruleSchema = z.object({ source: z.string().min(1), destinations: z.array(z.string().min(1)) });
const positive = z.number().positive();

const handlerConfigSchema = z.strictObject({
  pairs: z.array(pairSchema).optional(),
  replication: z.array(ruleSchema).optional(),
  retentionHours: positive.default(CONFIG_DEFAULTS.retentionHours),
  overdueMinutes: positive.default(CONFIG_DEFAULTS.overdueMinutes),
  /** Source bucket (in a remote account) → the agent role ARN to assume for HeadObject on it. */
  agentRoles: z.record(z.string(), z.string().min(1)).default({}),
});

/** The shape of CONFIG_JSON as lib/ writes it: every field given, pairs spelled out. */
export type HandlerConfig = Required<
  Pick<z.output<typeof handlerConfigSchema>, 'pairs' | 'retentionHours' | 'overdueMinutes' | 'agentRoles'>
>;

export interface RuntimeConfig {
  readonly pairs: ReplicationPair[];
  /** Configured source buckets: a write to one of them puts the version in the due index. */
  readonly sources: ReadonlySet<string>;
  readonly retentionHours: number;
  readonly overdueMinutes: number;
  /** Role to assume for HeadObject on a remote account's source bucket. */
  readonly agentRoles: Readonly<Record<string, string>>;
}

export function parseRuntimeConfig(text: string | undefined): RuntimeConfig {
  if (!text) throw new RuntimeConfigError('CONFIG_JSON is not set');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(`CONFIG_JSON is not valid JSON: ${(error as Error).message}`);
  }
  return runtimeConfigFrom(raw);
}

export function runtimeConfigFrom(raw: unknown): RuntimeConfig {
  const result = handlerConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new RuntimeConfigError(`CONFIG_JSON ${where || '(root)'}: ${issue.message}`);
  }
  const input = result.data;
  const pairs: ReplicationPair[] = [];
  const seen = new Set<string>();
  const add = (source: string, destination: string) => {
    const id = `${source}>${destination}`;
    if (!seen.has(id)) pairs.push({ source, destination });
    seen.add(id);
  };
  for (const rule of input.replication ?? []) for (const d of rule.destinations) add(rule.source, d);
  for (const p of input.pairs ?? []) add(p.source, p.destination);
  if (pairs.length === 0) throw new RuntimeConfigError('CONFIG_JSON names no replication pairs');
  return {
    pairs,
    sources: new Set(pairs.map((p) => p.source)),
    retentionHours: input.retentionHours,
    overdueMinutes: input.overdueMinutes,
    agentRoles: input.agentRoles,
  };
}
