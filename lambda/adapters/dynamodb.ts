import {
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { parseSlotName, type SlotChange, type SlotValue, type VersionRecord } from '../core';
import {
  ATTENTION_INDEX,
  DUE_INDEX,
  PENDING_INDEX,
  REPORTED_ATTRIBUTE,
  TABLE_KEY,
  TTL_ATTRIBUTE,
  pendingShardOf,
  type AttentionState,
} from '../shared/table-schema';

type Item = Record<string, AttributeValue>;

/** A record as the table holds it, with its pending-index attributes. */
export interface StoredRecord {
  readonly record: VersionRecord;
  readonly pendingShard?: string;
  readonly pendingSince?: number;
  readonly dueShard?: string;
  readonly dueAt?: number;
  /** Set by the sweep while the version needs attention (overdue) or is failed. */
  readonly attention?: { readonly state: AttentionState; readonly since: number };
  readonly reported?: string;
}

/** Where a version goes in the pending index (given for writes to configured source buckets). */
export interface PendingMark {
  readonly shard: string;
  readonly since: number;
}

export type ApplyOutcome = 'applied' | 'unchanged';

/** The table of version records, behind the smallest interface the handlers need. */
export interface RecordStore {
  /** One conditional UpdateItem: the slot takes the value iff it supersedes the stored one. */
  apply(change: SlotChange, pending?: PendingMark): Promise<ApplyOutcome>;
  /** Every record of one shard of the pending index. */
  pending(shard: string): AsyncIterable<StoredRecord>;
  /** Takes a final record out of the pending index, remembering what was reported. False if someone else did. */
  settle(key: string, versionId: string, reported: string): Promise<boolean>;
  /** Every record (the local demo reads the table back; never used by the handlers). */
  scan(): AsyncIterable<StoredRecord>;
}

export function pendingMarkFor(change: SlotChange, sources: ReadonlySet<string>): PendingMark | undefined {
  const slot = parseSlotName(change.slot);
  if (!slot || slot.kind === 'check' || !sources.has(slot.bucket)) return undefined;
  return { shard: pendingShardOf(change.key, change.versionId), since: change.value.requestedAt ?? change.value.at };
}

/** `SlotValue` → DynamoDB Map. */
export function slotToAttribute(value: SlotValue): AttributeValue {
  const map: Item = { at: { N: String(value.at) }, tie: { S: value.tie }, what: { S: value.what } };
  if (value.bytes !== undefined) map.bytes = { N: String(value.bytes) };
  if (value.requestedAt !== undefined) map.requestedAt = { N: String(value.requestedAt) };
  if (value.byReplication !== undefined) map.byReplication = { N: String(value.byReplication) };
  return { M: map };
}

function attributeToSlot(attribute: AttributeValue): SlotValue | undefined {
  const m = attribute.M;
  if (!m?.at?.N || m.tie?.S === undefined || m.what?.S === undefined) return undefined;
  const value: { -readonly [K in keyof SlotValue]: SlotValue[K] } = { at: Number(m.at.N), tie: m.tie.S, what: m.what.S };
  if (m.bytes?.N !== undefined) value.bytes = Number(m.bytes.N);
  if (m.requestedAt?.N !== undefined) value.requestedAt = Number(m.requestedAt.N);
  if (m.byReplication?.N !== undefined) value.byReplication = Number(m.byReplication.N) ? 1 : 0;
  return value;
}

/** A table item → the core's record (slots only) plus the index attributes. */
export function itemToStored(item: Item): StoredRecord {
  const slots: Record<string, SlotValue> = {};
  for (const [name, attribute] of Object.entries(item)) {
    if (!parseSlotName(name)) continue;
    const value = attributeToSlot(attribute);
    if (value) slots[name] = value;
  }
  return {
    record: { key: item[TABLE_KEY.partition]?.S ?? '', versionId: item[TABLE_KEY.sort]?.S ?? '', slots },
    ...(item[PENDING_INDEX.partitionKey]?.S !== undefined ? { pendingShard: item[PENDING_INDEX.partitionKey].S } : {}),
    ...(item[PENDING_INDEX.sortKey]?.N !== undefined ? { pendingSince: Number(item[PENDING_INDEX.sortKey].N) } : {}),
    ...(item[DUE_INDEX.partitionKey]?.S !== undefined ? { dueShard: item[DUE_INDEX.partitionKey].S } : {}),
    ...(item[DUE_INDEX.sortKey]?.N !== undefined ? { dueAt: Number(item[DUE_INDEX.sortKey].N) } : {}),
    ...attentionOf(item),
    ...(item[REPORTED_ATTRIBUTE]?.S !== undefined ? { reported: item[REPORTED_ATTRIBUTE].S } : {}),
  };
}

function attentionOf(item: Item): Pick<StoredRecord, 'attention'> {
  const state = item[ATTENTION_INDEX.stateAttribute]?.S;
  const since = item[ATTENTION_INDEX.sortKey]?.N;
  if ((state !== 'OVERDUE' && state !== 'FAILED') || since === undefined) return {};
  return { attention: { state, since: Number(since) } };
}

/**
 * The exact UpdateItem of one event. `SET #slot = :value, expiresAt = :ttl [, pending attributes]`
 * on the condition that the slot is absent or the new value supersedes it (core `supersedes`):
 * for `earliest` slots `#slot.#at > :at OR (#slot.#at = :at AND #slot.#tie > :tie)`, mirrored for `latest`.
 */
export function updateFor(tableName: string, change: SlotChange, expiresAt: number, pending?: PendingMark) {
  const cmp = change.keep === 'earliest' ? '>' : '<';
  const names: Record<string, string> = { '#slot': change.slot, '#at': 'at', '#tie': 'tie', '#ttl': TTL_ATTRIBUTE };
  const values: Item = {
    ':value': slotToAttribute(change.value),
    ':at': { N: String(change.value.at) },
    ':tie': { S: change.value.tie },
    ':ttl': { N: String(expiresAt) },
  };
  let set = 'SET #slot = :value, #ttl = :ttl';
  if (pending) {
    names['#shard'] = PENDING_INDEX.partitionKey;
    names['#since'] = PENDING_INDEX.sortKey;
    values[':shard'] = { S: pending.shard };
    values[':since'] = { N: String(pending.since) };
    set += ', #shard = :shard, #since = :since';
  }
  return {
    TableName: tableName,
    Key: { [TABLE_KEY.partition]: { S: change.key }, [TABLE_KEY.sort]: { S: change.versionId } },
    UpdateExpression: set,
    ConditionExpression: `attribute_not_exists(#slot) OR #slot.#at ${cmp} :at OR (#slot.#at = :at AND #slot.#tie ${cmp} :tie)`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export const isConditionFailure = (error: unknown): boolean => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

export interface DynamoRecordStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly pendingIndexName?: string;
  readonly retentionHours: number;
  readonly now?: () => number;
}

export class DynamoRecordStore implements RecordStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly indexName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoRecordStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.indexName = options.pendingIndexName ?? PENDING_INDEX.name;
    this.retentionSeconds = Math.round(options.retentionHours * 3600);
    this.now = options.now ?? Date.now;
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.retentionSeconds;
  }

  async apply(change: SlotChange, pending?: PendingMark): Promise<ApplyOutcome> {
    try {
      await this.client.send(new UpdateItemCommand(updateFor(this.tableName, change, this.expiresAt(), pending)));
      return 'applied';
    } catch (error) {
      // Already applied, or superseded by a better observation: the event is in, idempotently.
      if (isConditionFailure(error)) return 'unchanged';
      throw error;
    }
  }

  async *pending(shard: string): AsyncIterable<StoredRecord> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: this.indexName,
      KeyConditionExpression: '#shard = :shard',
      ExpressionAttributeNames: { '#shard': PENDING_INDEX.partitionKey },
      ExpressionAttributeValues: { ':shard': { S: shard } },
    };
    do {
      const page = await this.client.send(new QueryCommand(input));
      for (const item of page.Items ?? []) yield itemToStored(item);
      input.ExclusiveStartKey = page.LastEvaluatedKey;
    } while (input.ExclusiveStartKey);
  }

  async settle(key: string, versionId: string, reported: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEY.partition]: { S: key }, [TABLE_KEY.sort]: { S: versionId } },
          UpdateExpression: 'REMOVE #shard, #since SET #reported = :reported, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#shard)',
          ExpressionAttributeNames: {
            '#shard': PENDING_INDEX.partitionKey,
            '#since': PENDING_INDEX.sortKey,
            '#reported': REPORTED_ATTRIBUTE,
            '#ttl': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ':reported': { S: reported }, ':ttl': { N: String(this.expiresAt()) } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async *scan(): AsyncIterable<StoredRecord> {
    let start: Item | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) yield itemToStored(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
