/**
 * The drain's side of the replication table: one conditional UpdateItem per event (`apply`), and the conversions
 * between a table item and the core's record that every reader of the table shares. Requests and items are plain
 * values: `@aws-sdk/lib-dynamodb`'s DocumentClient translates them to and from DynamoDB JSON.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type TranslateConfig, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { applyChange, parseSlotName, type SlotChange, type SlotValue, type VersionRecord } from '../core';
import {
  ATTENTION_INDEX,
  DUE_INDEX,
  REPORTED_ATTRIBUTE,
  TABLE_KEY,
  TTL_ATTRIBUTE,
  WRITE_LOG,
  pendingShardOf,
  type AttentionState,
} from '../shared/contract';

/** A table item with plain values, as the DocumentClient reads and writes it. */
export type Item = Record<string, unknown>;

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
  /** The drain's write token, in the write log's entry (WRITE_LOG): a retry after a lost response finds its write by it. */
  readonly token?: string;
  readonly due?: DueMark;
}

/**
 * What one conditional write did. `applied`: the slot took the value; `before` is the record as the table held it
 * (ALL_OLD; undefined when there was no item) and `after` the record with the change (core applyChange), without a
 * read. `unchanged`: the condition failed, so nothing changed (a duplicate, or a better value is stored).
 */
export type ApplyResult =
  | {
      readonly outcome: 'applied';
      readonly before: VersionRecord | undefined;
      readonly after: VersionRecord;
      /** The response was lost and the write found in the write log on the retry; `laterWrites` others came after it. */
      readonly recovered: boolean;
      readonly laterWrites?: number;
    }
  | { readonly outcome: 'unchanged' };

/** The table of version records, behind the smallest interface the handlers need. */
export interface RecordStore {
  /** One conditional UpdateItem: the slot takes the value iff it supersedes the stored one. */
  apply(change: SlotChange, options?: ApplyOptions): Promise<ApplyResult>;
}

/** The buckets and threshold that decide which writes mark a version due. */
export interface DueRules {
  readonly sources: ReadonlySet<string>;
  readonly destinations: ReadonlySet<string>;
  readonly overdueMillis: number;
}

/** Margin after `now` for a due time: a source event arriving late (its due time already past) is still swept. */
const DUE_MARGIN_MILLIS = 60_000;

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

/**
 * Numbers come back as `Number(text)`, as the hand-written reader did: without this a value beyond 2^53 would be a
 * BigInt (which the slot validation drops) or, written in exponent form, fail the whole read.
 */
const readNumber = (text: string): number => Number(text);

/** How the DocumentClient translates: undefined members are left out, empty strings and sets stay what they are. */
const TRANSLATE_CONFIG: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  unmarshallOptions: { wrapNumbers: readNumber },
};

/** The DocumentClient over `client` (same configuration and middleware stack; plain values in and out). */
export const documentClientOf = (client: DynamoDBClient): DynamoDBDocumentClient => DynamoDBDocumentClient.from(client, TRANSLATE_CONFIG);

/**
 * DynamoDB JSON → plain values, for the two places where the SDK hands over an item untranslated: a stream image
 * (NEW_IMAGE of the archive's DynamoDB Streams event), and the item of a ConditionalCheckFailedException, which
 * lib-dynamodb does not unmarshall (3.1162: its unmarshalling middleware sees only outputs, not errors; aws-sdk-js-v3
 * issue 6723). It reads what the table holds (S, N, BOOL, NULL, M, L, string and number sets); binary values, which
 * no writer of this table produces, are left out. With `@aws-sdk/util-dynamodb` declared, this is its `unmarshall`.
 */
export function fromAttributeValues(item: Readonly<Record<string, AttributeValue>>): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) {
    const plain = fromAttributeValue(value);
    if (plain !== undefined) out[name] = plain;
  }
  return out;
}

function fromAttributeValue(value: AttributeValue | undefined): unknown {
  if (!value || typeof value !== 'object') return undefined;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return readNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return fromAttributeValues(value.M);
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(readNumber));
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The item a condition failure carries (ReturnValuesOnConditionCheckFailure ALL_OLD), as plain values: the
 * DocumentClient leaves it in DynamoDB JSON today (see fromAttributeValues); a version that translates it gives
 * plain values. The key attribute tells them apart: a string in a plain item, `{S: …}` in DynamoDB JSON. Anything
 * else is no item this table wrote.
 */
export function conditionFailureItem(error: unknown): Item | undefined {
  const item = (error as { Item?: unknown } | undefined)?.Item;
  if (!isObject(item)) return undefined;
  const key = item[TABLE_KEY.partition];
  if (typeof key === 'string') return item;
  if (isObject(key) && typeof key.S === 'string') return fromAttributeValues(item as Record<string, AttributeValue>);
  return undefined;
}

/** `SlotValue` → the slot's Map, exactly the fields a slot has. */
export function slotToAttribute(value: SlotValue): Item {
  const map: Item = { at: value.at, tie: value.tie, what: value.what };
  if (value.bytes !== undefined) map.bytes = value.bytes;
  if (value.requestedAt !== undefined) map.requestedAt = value.requestedAt;
  if (value.byReplication !== undefined) map.byReplication = value.byReplication;
  return map;
}

/** A slot as read: a Map with numeric `at` and string `tie` and `what`, or it is ignored (undefined). */
function attributeToSlot(attribute: unknown): SlotValue | undefined {
  if (!isObject(attribute)) return undefined;
  const { at, tie, what, bytes, requestedAt, byReplication } = attribute;
  if (typeof at !== 'number' || typeof tie !== 'string' || typeof what !== 'string') return undefined;
  const value: { -readonly [K in keyof SlotValue]: SlotValue[K] } = { at, tie, what };
  if (typeof bytes === 'number') value.bytes = bytes;
  if (typeof requestedAt === 'number') value.requestedAt = requestedAt;
  // 2: the event did not say who wrote it (S3's EventBridge events); anything else non-zero is replication.
  if (typeof byReplication === 'number') value.byReplication = byReplication === 2 ? 2 : byReplication ? 1 : 0;
  return value;
}

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const numberOf = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** A table item (plain values) → the core's record (slots only) plus the index attributes. */
export function itemToStored(item: Item): StoredRecord {
  const slots: Record<string, SlotValue> = {};
  for (const [name, attribute] of Object.entries(item)) {
    if (!parseSlotName(name)) continue;
    const value = attributeToSlot(attribute);
    if (value) slots[name] = value;
  }
  const reported = stringOf(item[REPORTED_ATTRIBUTE]);
  const dueShard = stringOf(item[DUE_INDEX.partitionKey]);
  const dueAt = numberOf(item[DUE_INDEX.sortKey]);
  return {
    record: { key: stringOf(item[TABLE_KEY.partition]) ?? '', versionId: stringOf(item[TABLE_KEY.sort]) ?? '', slots },
    ...(reported !== undefined ? { reported } : {}),
    ...(dueShard !== undefined ? { dueShard } : {}),
    ...(dueAt !== undefined ? { dueAt } : {}),
    ...attentionOf(item),
  };
}

function attentionOf(item: Item): Pick<StoredRecord, 'attention'> {
  const state = item[ATTENTION_INDEX.stateAttribute];
  const since = numberOf(item[ATTENTION_INDEX.sortKey]);
  if ((state !== 'OVERDUE' && state !== 'FAILED') || since === undefined) return {};
  return { attention: { state, since } };
}

/**
 * The write log's clauses of one slot write (WRITE_LOG in lambda/shared/contract.ts), added to `names` and `values`:
 * every entry moves one down (the oldest falls off), this write's `<slot> <token>` goes first with the value `#slot`
 * held before it. DynamoDB evaluates every action against the item as it was before the update ("an action's
 * right-hand operand always refers to the pre-update value of an attribute": Developer Guide, Using update
 * expressions), so `#lw2 = if_not_exists(#lw1, …)` and `#lw1 = :entry` in one SET read the old `lw1`, and
 * `#lp1 = if_not_exists(#slot, …)` the old slot. Every writer of a slot must log (the drain's
 * events, the sweep's checks): a rebuild undoes the entries above its own, and a write missing from them would stay.
 */
export function writeLogClauses(slot: string, token: string | undefined, names: Record<string, string>, values: Item): string[] {
  const set: string[] = [];
  for (let i = WRITE_LOG.depth; i >= 1; i--) {
    names[`#lw${i}`] = WRITE_LOG.entry(i);
    names[`#lp${i}`] = WRITE_LOG.previous(i);
    if (i > 1) set.push(`#lw${i} = if_not_exists(#lw${i - 1}, :null)`, `#lp${i} = if_not_exists(#lp${i - 1}, :null)`);
  }
  set.push('#lw1 = :logEntry', '#lp1 = if_not_exists(#slot, :null)');
  values[':logEntry'] = `${slot} ${token ?? '-'}`;
  values[':null'] = null;
  return set;
}

/**
 * The exact UpdateItem of one event. `SET <write log>, #slot = :value, expiresAt = :ttl [, due attributes]`
 * on the condition that the slot is absent or the new value supersedes it (core `supersedes`):
 * for `earliest` slots `#slot.#at > :at OR (#slot.#at = :at AND #slot.#tie > :tie)`, mirrored for `latest`.
 * It returns the item as it was, both when it writes and when the condition fails (ReturnValuesOnConditionCheckFailure).
 */
export function updateFor(tableName: string, change: SlotChange, expiresAt: number, options: ApplyOptions = {}): UpdateCommandInput {
  const cmp = change.keep === 'earliest' ? '>' : '<';
  const names: Record<string, string> = { '#slot': change.slot, '#at': 'at', '#tie': 'tie', '#ttl': TTL_ATTRIBUTE };
  const values: Item = {
    ':value': slotToAttribute(change.value),
    ':at': change.value.at,
    ':tie': change.value.tie,
    ':ttl': expiresAt,
  };
  const set = writeLogClauses(change.slot, options.token, names, values);
  set.push('#slot = :value', '#ttl = :ttl');
  if (options.due) {
    names['#dueShard'] = DUE_INDEX.partitionKey;
    names['#dueAt'] = DUE_INDEX.sortKey;
    values[':dueShard'] = options.due.shard;
    values[':dueAt'] = options.due.dueAt;
    set.push('#dueShard = if_not_exists(#dueShard, :dueShard)', '#dueAt = if_not_exists(#dueAt, :dueAt)');
  }
  return {
    TableName: tableName,
    Key: { [TABLE_KEY.partition]: change.key, [TABLE_KEY.sort]: change.versionId },
    UpdateExpression: `SET ${set.join(', ')}`,
    ConditionExpression: `attribute_not_exists(#slot) OR #slot.#at ${cmp} :at OR (#slot.#at = :at AND #slot.#tie ${cmp} :tie)`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The stored slot holds exactly `value` (attribute order does not matter). */
function sameSlot(stored: unknown, value: SlotValue): boolean {
  const x = attributeToSlot(stored);
  const y = attributeToSlot(slotToAttribute(value));
  return x !== undefined && y !== undefined && JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
}

/** What a rebuild found: the record just before the write, and how many later writes (by anyone) it undid first. */
export interface Recovered {
  readonly before: VersionRecord;
  readonly laterWrites: number;
}

/**
 * The record just before a write whose first attempt committed and whose response was lost, if `item` (the item a
 * retry's condition failure returned) shows this very write: its `<slot> <token>` in the write log, under at most
 * WRITE_LOG.depth − 1 later writes. The later writes are undone newest first (each slot back to its `lp`), which gives
 * the record right after ours — our value must then be in our slot — and ours is undone last. False: not ours (not in
 * the log: never committed, or pushed out of it by WRITE_LOG.depth later writes).
 */
export function recoveredBefore(item: Item | undefined, change: SlotChange, token: string): Recovered | false {
  if (!item) return false;
  const mine = `${change.slot} ${token}`;
  const restored: Item = { ...item };
  for (let i = 1; i <= WRITE_LOG.depth; i++) {
    const entry = item[WRITE_LOG.entry(i)];
    if (typeof entry !== 'string') return false;
    const slot = entry.slice(0, entry.indexOf(' '));
    if (entry === mine && !sameSlot(restored[slot], change.value)) return false;
    const previous = item[WRITE_LOG.previous(i)];
    if (previous !== undefined && previous !== null) restored[slot] = previous;
    else delete restored[slot];
    if (entry === mine) return { before: itemToStored(restored).record, laterWrites: i - 1 };
  }
  return false;
}

/**
 * Whether a condition failure is this very call's own committed write: the SDK retried (attempts > 1) after a
 * first attempt whose response was lost (or this is a resend), and the item's write log holds our entry. `before`
 * undefined: there was no item before it.
 */
function ownEarlierAttempt(
  error: unknown,
  change: SlotChange,
  options: ApplyOptions,
  resent: boolean,
): { before: VersionRecord | undefined; laterWrites: number } | false {
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
  if (options.token === undefined || (attempts < 2 && !resent)) return false;
  const found = recoveredBefore(conditionFailureItem(error), change, options.token);
  if (!found) return false;
  return { before: Object.keys(found.before.slots).length === 0 ? undefined : found.before, laterWrites: found.laterWrites };
}

/** Resends of a write whose earlier attempt may have committed (about 1.5 s of back-off in all). */
const MAX_RESENDS = 5;

/**
 * Sends a conditional write until DynamoDB answers it: its output, or its condition failure (`resent`: after a resend).
 * Once the SDK has retried, an earlier attempt may have committed with its response lost. Giving up then would hand the
 * event to a later invocation (another token) that can no longer tell the write was its own, and the outcome that write
 * decided would never be published: so a tokened write is resent (bounded) until an answer says what happened.
 */
export async function sendUntilAnswered<T>(
  send: () => Promise<T>,
  tokened: boolean,
): Promise<{ output: T } | { conditionFailure: unknown; resent: boolean }> {
  for (let resend = 0; ; resend++) {
    try {
      return { output: await send() };
    } catch (error) {
      if (isConditionFailure(error)) return { conditionFailure: error, resent: resend > 0 };
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      if (!tokened || !(resend > 0 || attempts > 1) || resend >= MAX_RESENDS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** resend));
    }
  }
}

export const isConditionFailure = (error: unknown): boolean => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

export interface DynamoRecordStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retentionHours: number;
  readonly now?: () => number;
}

export class DynamoRecordStore implements RecordStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoRecordStoreOptions) {
    this.client = documentClientOf(options.client);
    this.tableName = options.tableName;
    this.retentionSeconds = Math.round(options.retentionHours * 3600);
    this.now = options.now ?? Date.now;
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.retentionSeconds;
  }

  async apply(change: SlotChange, options: ApplyOptions = {}): Promise<ApplyResult> {
    const input = updateFor(this.tableName, change, this.expiresAt(), options);
    const answer = await sendUntilAnswered(() => this.client.send(new UpdateCommand(input)), options.token !== undefined);
    if ('output' in answer) {
      const before = answer.output.Attributes ? itemToStored(answer.output.Attributes).record : undefined;
      return { outcome: 'applied', before, after: applyChange(before, change), recovered: false };
    }
    // Our own earlier attempt committed and its response was lost: the write is ours, its outcome still to publish.
    const own = ownEarlierAttempt(answer.conditionFailure, change, options, answer.resent);
    if (own !== false) {
      return {
        outcome: 'applied',
        before: own.before,
        after: applyChange(own.before, change),
        recovered: true,
        laterWrites: own.laterWrites,
      };
    }
    // Already applied (redelivery, duplicate), or superseded by a better observation: the event is in, idempotently.
    return { outcome: 'unchanged' };
  }
}
