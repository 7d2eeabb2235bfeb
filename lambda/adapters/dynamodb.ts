import {
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { applyChange, parseSlotName, type SlotChange, type SlotValue, type VersionRecord } from '../core';
import {
  ATTENTION_INDEX,
  DUE_INDEX,
  LAST_WRITE_ATTRIBUTE,
  PREVIOUS_SLOT_ATTRIBUTE,
  REPORTED_ATTRIBUTE,
  SWEEP_CURSOR,
  TABLE_KEY,
  TTL_ATTRIBUTE,
  pendingShardOf,
  type AttentionState,
} from '../shared/contract';

type Item = Record<string, AttributeValue>;

/** A record as the table holds it, with its index attributes (`due`, `attention`). */
export interface StoredRecord {
  readonly record: VersionRecord;
  /** Set by the sweep while the version needs attention (overdue) or is failed. */
  readonly attention?: { readonly state: AttentionState; readonly since: number };
  readonly reported?: string;
  /** The `due` index entry, when a write marked the version. */
  readonly dueShard?: string;
  readonly dueAt?: number;
}

/** Where a version goes in the `due` index: given for writes that should bring the sweep to the version. */
export interface DueMark {
  readonly shard: string;
  readonly dueAt: number;
}

/** What `apply` should also write besides the slot. */
export interface ApplyOptions {
  /** The drain's write token (`lw`); with it the write also keeps the slot's previous value (`lp`). */
  readonly token?: string;
  readonly due?: DueMark;
}

/**
 * What one conditional write did. `applied`: the slot took the value; `before` is the record as the table held it
 * (ALL_OLD; undefined when there was no item) and `after` the record with the change (core applyChange), without a
 * read. `unchanged`: the condition failed, so nothing changed (a duplicate, or a better value is stored).
 */
export type ApplyResult =
  | { readonly outcome: 'applied'; readonly before: VersionRecord | undefined; readonly after: VersionRecord; readonly recovered: boolean }
  | { readonly outcome: 'unchanged' };

export type ApplyOutcome = ApplyResult['outcome'];

/** The table of version records, behind the smallest interface the handlers need. */
export interface RecordStore {
  /** One conditional UpdateItem: the slot takes the value iff it supersedes the stored one. */
  apply(change: SlotChange, options?: ApplyOptions): Promise<ApplyResult>;
  /** Every record (the local demo reads the table back; never used by the handlers). */
  scan(): AsyncIterable<StoredRecord>;
}

/** The buckets and threshold that decide which writes mark a version due. */
export interface DueRules {
  readonly sources: ReadonlySet<string>;
  readonly destinations: ReadonlySet<string>;
  readonly overdueMillis: number;
}

/** Margin after `now` for a due time: a source event arriving late (its due time already past) is still swept. */
export const DUE_MARGIN_MILLIS = 60_000;

/**
 * The `due` mark of a change, or undefined when it sets none. A write to a configured source (`w:src`) or a
 * failure notice about one (`f:src>…`) is due at its source time + the overdue threshold; a write into a
 * configured destination is due at its own time + the threshold (it matters only when the source was never seen:
 * the mark is written with if_not_exists, so the first one stays). Never earlier than `now` + 60 s.
 */
export function dueMarkFor(change: SlotChange, rules: DueRules, now: number): DueMark | undefined {
  const slot = parseSlotName(change.slot);
  if (!slot || slot.kind === 'check') return undefined;
  const marks = rules.sources.has(slot.bucket) || (slot.kind === 'write' && rules.destinations.has(slot.bucket));
  if (!marks) return undefined;
  const at = slot.kind === 'failure' ? (change.value.requestedAt ?? change.value.at) : change.value.at;
  return { shard: pendingShardOf(change.key, change.versionId), dueAt: Math.max(at + rules.overdueMillis, now + DUE_MARGIN_MILLIS) };
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
    ...(item[REPORTED_ATTRIBUTE]?.S !== undefined ? { reported: item[REPORTED_ATTRIBUTE].S } : {}),
    ...(item[DUE_INDEX.partitionKey]?.S !== undefined ? { dueShard: item[DUE_INDEX.partitionKey].S } : {}),
    ...(item[DUE_INDEX.sortKey]?.N !== undefined ? { dueAt: Number(item[DUE_INDEX.sortKey].N) } : {}),
    ...attentionOf(item),
  };
}

function attentionOf(item: Item): Pick<StoredRecord, 'attention'> {
  const state = item[ATTENTION_INDEX.stateAttribute]?.S;
  const since = item[ATTENTION_INDEX.sortKey]?.N;
  if ((state !== 'OVERDUE' && state !== 'FAILED') || since === undefined) return {};
  return { attention: { state, since: Number(since) } };
}

/**
 * The exact UpdateItem of one event. `SET #slot = :value, expiresAt = :ttl [, lp, lw] [, due attributes]`
 * on the condition that the slot is absent or the new value supersedes it (core `supersedes`):
 * for `earliest` slots `#slot.#at > :at OR (#slot.#at = :at AND #slot.#tie > :tie)`, mirrored for `latest`.
 * It returns the item as it was, both when it writes and when the condition fails (ReturnValuesOnConditionCheckFailure).
 * `lp` is set before the slot in the expression; DynamoDB evaluates every operand against the item as it was.
 */
export function updateFor(tableName: string, change: SlotChange, expiresAt: number, options: ApplyOptions = {}) {
  const cmp = change.keep === 'earliest' ? '>' : '<';
  const names: Record<string, string> = { '#slot': change.slot, '#at': 'at', '#tie': 'tie', '#ttl': TTL_ATTRIBUTE };
  const values: Item = {
    ':value': slotToAttribute(change.value),
    ':at': { N: String(change.value.at) },
    ':tie': { S: change.value.tie },
    ':ttl': { N: String(expiresAt) },
  };
  const set: string[] = [];
  if (options.token !== undefined) {
    names['#lw'] = LAST_WRITE_ATTRIBUTE;
    names['#lp'] = PREVIOUS_SLOT_ATTRIBUTE;
    values[':token'] = { S: options.token };
    values[':null'] = { NULL: true };
    set.push('#lp = if_not_exists(#slot, :null)', '#lw = :token');
  }
  set.push('#slot = :value', '#ttl = :ttl');
  if (options.due) {
    names['#dueShard'] = DUE_INDEX.partitionKey;
    names['#dueAt'] = DUE_INDEX.sortKey;
    values[':dueShard'] = { S: options.due.shard };
    values[':dueAt'] = { N: String(options.due.dueAt) };
    set.push('#dueShard = if_not_exists(#dueShard, :dueShard)', '#dueAt = if_not_exists(#dueAt, :dueAt)');
  }
  return {
    TableName: tableName,
    Key: { [TABLE_KEY.partition]: { S: change.key }, [TABLE_KEY.sort]: { S: change.versionId } },
    UpdateExpression: `SET ${set.join(', ')}`,
    ConditionExpression: `attribute_not_exists(#slot) OR #slot.#at ${cmp} :at OR (#slot.#at = :at AND #slot.#tie ${cmp} :tie)`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_OLD' as const,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

/** Two slot Maps hold the same value (attribute order does not matter). */
function sameSlot(a: AttributeValue | undefined, b: AttributeValue): boolean {
  const x = a ? attributeToSlot(a) : undefined;
  const y = attributeToSlot(b);
  return x !== undefined && y !== undefined && JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
}

/**
 * Whether a condition failure is this very call's own committed write: the SDK retried (attempts > 1) after a
 * first attempt whose response was lost, and the item's last write carries our token with the slot at our value.
 * Then the record before our write is the item with the slot put back to `lp`.
 */
function ownEarlierAttempt(error: unknown, change: SlotChange, options: ApplyOptions, resent: boolean): VersionRecord | false | undefined {
  const item = (error as { Item?: Item }).Item;
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
  if (options.token === undefined || !item || (attempts < 2 && !resent)) return false;
  if (item[LAST_WRITE_ATTRIBUTE]?.S !== options.token || !sameSlot(item[change.slot], slotToAttribute(change.value))) return false;
  const restored: Item = { ...item };
  const previous = item[PREVIOUS_SLOT_ATTRIBUTE];
  if (previous && !previous.NULL) restored[change.slot] = previous;
  else delete restored[change.slot];
  const before = itemToStored(restored).record;
  return Object.keys(before.slots).length === 0 ? undefined : before;
}

/** Resends of a write whose earlier attempt may have committed (about 1.5 s of back-off in all). */
const MAX_RESENDS = 5;

export const isConditionFailure = (error: unknown): boolean => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

export interface DynamoRecordStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retentionHours: number;
  readonly now?: () => number;
}

export class DynamoRecordStore implements RecordStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoRecordStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = Math.round(options.retentionHours * 3600);
    this.now = options.now ?? Date.now;
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.retentionSeconds;
  }

  async apply(change: SlotChange, options: ApplyOptions = {}): Promise<ApplyResult> {
    const input = updateFor(this.tableName, change, this.expiresAt(), options);
    // Once the SDK has retried, an earlier attempt may have committed with its response lost. Giving up then would hand
    // the message to a later delivery (another token) that can no longer tell the write was ours, and its outcome would
    // never be published: so keep resending (bounded) until an answer says what happened.
    for (let resend = 0; ; resend++) {
      try {
        const out = await this.client.send(new UpdateItemCommand(input));
        const before = out.Attributes ? itemToStored(out.Attributes).record : undefined;
        return { outcome: 'applied', before, after: applyChange(before, change), recovered: false };
      } catch (error) {
        if (isConditionFailure(error)) {
          // Our own earlier attempt committed and its response was lost: the write is ours, its outcome still to publish.
          const own = ownEarlierAttempt(error, change, options, resend > 0);
          if (own !== false) return { outcome: 'applied', before: own, after: applyChange(own, change), recovered: true };
          // Already applied (redelivery, duplicate), or superseded by a better observation: the event is in, idempotently.
          return { outcome: 'unchanged' };
        }
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        const mayHaveCommitted = resend > 0 || attempts > 1;
        if (options.token === undefined || !mayHaveCommitted || resend >= MAX_RESENDS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** resend));
      }
    }
  }

  async *scan(): AsyncIterable<StoredRecord> {
    let start: Item | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) if (item[TABLE_KEY.partition]?.S !== SWEEP_CURSOR.pk) yield itemToStored(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
