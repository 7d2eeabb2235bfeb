/**
 * The sweep's writes to the replication table, behind a port so the sweep can be tested on dynalite and with faults:
 * - `check`: one HeadObject answer into a `c:<bucket>` slot, with the same supersedes condition as every event, and
 *   the version's `attention` entry in the same UpdateItem. It returns the item as it was (ReturnValues ALL_OLD), so
 *   the caller derives the outcomes of exactly this write (lambda/core/outcomes.ts) with no extra read.
 *   Like the drain's, it is entered in the item's write log (WRITE_LOG: `<slot> <token>` and the slot's previous
 *   value): if the SDK retries after a lost response, the condition fails, the returned item's log shows this write
 *   (under any later writes by the drain), and the state before the committed first attempt is rebuilt from it — the
 *   outcome is published once, not lost. Its entry also lets a drain write that came before it rebuild past it.
 * - `mark`: only the `attention` entry (set, or removed with `null`), on an existing item.
 * - `advanceCursor`: the sweep cursor, conditionally on the value this run read (a second sweep cannot move it twice).
 * Plain values in and out, through lib-dynamodb's DocumentClient.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SlotChange, VersionRecord } from '../core';
import { ATTENTION_INDEX, SWEEP_CURSOR, TABLE_KEY, TTL_ATTRIBUTE, pendingShardOf, type AttentionState } from '../shared/contract';
import {
  conditionFailureItem,
  documentClientOf,
  isConditionFailure,
  sendUntilAnswered,
  itemToStored,
  recoveredBefore,
  slotToAttribute,
  writeLogClauses,
  type Item,
} from './dynamodb';

export interface Attention {
  readonly state: AttentionState;
  /** Source write time (epoch ms): the index's sort key. */
  readonly since: number;
}

export interface CheckWriteResult {
  /** False: the slot already held this or a later answer; nothing changed, nothing to publish. */
  readonly applied: boolean;
  /** The record as it was before this write (undefined when there was no item). */
  readonly before?: VersionRecord;
}

export interface SweepWrites {
  check(change: SlotChange, token: string, attention: Attention | null): Promise<CheckWriteResult>;
  mark(key: string, versionId: string, attention: Attention | null): Promise<void>;
  /** False when another run moved the cursor since `from` was read. */
  advanceCursor(from: number, to: number): Promise<boolean>;
}

export interface DynamoSweepWritesOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retentionHours: number;
  readonly now?: () => number;
}

const keyOf = (key: string, versionId: string) => ({ [TABLE_KEY.partition]: key, [TABLE_KEY.sort]: versionId });

/** `SET` / `REMOVE` clauses of the attention entry, added to `names`/`values`. */
function attentionClauses(key: string, versionId: string, attention: Attention | null, names: Record<string, string>, values: Item) {
  names['#attnShard'] = ATTENTION_INDEX.partitionKey;
  names['#attnSince'] = ATTENTION_INDEX.sortKey;
  names['#attnState'] = ATTENTION_INDEX.stateAttribute;
  if (!attention) return { set: [] as string[], remove: ['#attnShard', '#attnSince', '#attnState'] };
  values[':attnShard'] = pendingShardOf(key, versionId);
  values[':attnSince'] = attention.since;
  values[':attnState'] = attention.state;
  return { set: ['#attnShard = :attnShard', '#attnSince = :attnSince', '#attnState = :attnState'], remove: [] as string[] };
}

/** The UpdateItem of one check write (exported for the request-shape tests). */
function checkUpdate(
  tableName: string,
  change: SlotChange,
  token: string,
  attention: Attention | null,
  expiresAt: number,
): UpdateCommandInput {
  const cmp = change.keep === 'earliest' ? '>' : '<';
  const names: Record<string, string> = {
    '#slot': change.slot,
    '#at': 'at',
    '#tie': 'tie',
    '#ttl': TTL_ATTRIBUTE,
  };
  const values: Item = {
    ':value': slotToAttribute(change.value),
    ':at': change.value.at,
    ':tie': change.value.tie,
    ':ttl': expiresAt,
  };
  const attn = attentionClauses(change.key, change.versionId, attention, names, values);
  const set = [...writeLogClauses(change.slot, token, names, values), '#slot = :value', '#ttl = :ttl', ...attn.set];
  return {
    TableName: tableName,
    Key: keyOf(change.key, change.versionId),
    UpdateExpression: `SET ${set.join(', ')}${attn.remove.length ? ` REMOVE ${attn.remove.join(', ')}` : ''}`,
    // The version exists (it was read); a check never creates an item TTL already removed.
    ConditionExpression:
      'attribute_exists(#slotKey) AND ' +
      `(attribute_not_exists(#slot) OR #slot.#at ${cmp} :at OR (#slot.#at = :at AND #slot.#tie ${cmp} :tie))`,
    ExpressionAttributeNames: { ...names, '#slotKey': TABLE_KEY.partition },
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export class DynamoSweepWrites implements SweepWrites {
  private readonly client: DynamoDBDocumentClient;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: DynamoSweepWritesOptions) {
    this.client = documentClientOf(options.client);
    this.retentionSeconds = Math.round(options.retentionHours * 3600);
    this.now = options.now ?? Date.now;
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.retentionSeconds;
  }

  async check(change: SlotChange, token: string, attention: Attention | null): Promise<CheckWriteResult> {
    const input = checkUpdate(this.options.tableName, change, token, attention, this.expiresAt());
    const answer = await sendUntilAnswered(() => this.client.send(new UpdateCommand(input)), true);
    if ('output' in answer) {
      return { applied: true, ...(answer.output.Attributes ? { before: itemToStored(answer.output.Attributes).record } : {}) };
    }
    // Our own committed earlier attempt (its response was lost): rebuild the state before it.
    const found = recoveredBefore(conditionFailureItem(answer.conditionFailure), change, token);
    return found ? { applied: true, before: found.before } : { applied: false };
  }

  async mark(key: string, versionId: string, attention: Attention | null): Promise<void> {
    const names: Record<string, string> = { '#pk': TABLE_KEY.partition };
    const values: Item = {};
    const attn = attentionClauses(key, versionId, attention, names, values);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: keyOf(key, versionId),
          UpdateExpression: attn.set.length ? `SET ${attn.set.join(', ')}` : `REMOVE ${attn.remove.join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      // Expired (TTL) between the read and this write: nothing left to mark.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async advanceCursor(from: number, to: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: keyOf(SWEEP_CURSOR.pk, SWEEP_CURSOR.sk),
          UpdateExpression: 'SET #through = :to',
          ConditionExpression: from === 0 ? 'attribute_not_exists(#through) OR #through = :from' : '#through = :from',
          ExpressionAttributeNames: { '#through': SWEEP_CURSOR.attribute },
          ExpressionAttributeValues: { ':to': to, ':from': from },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
