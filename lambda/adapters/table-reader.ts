/**
 * The read side of the replication table, shared by the sweep and the `status`/`redrive` tools: the `due` and
 * `attention` indexes (lambda/shared/table-schema.ts), batched reads of whole records, and the sweep's cursor.
 * Every read is paged and bounded: an index query yields page by page (never the whole shard in memory), a batch
 * read asks for at most 100 keys per call (BatchGetItem's limit) and retries what DynamoDB left unprocessed.
 * Plain values in and out, through lib-dynamodb's DocumentClient.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ATTENTION_INDEX, DUE_INDEX, SWEEP_CURSOR, TABLE_KEY, type AttentionState } from '../shared/contract';
import { documentClientOf, itemToStored, type Item, type StoredRecord } from './dynamodb';

export interface VersionKey {
  readonly key: string;
  readonly versionId: string;
}

export interface TableReaderOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly dueIndexName?: string;
  readonly attentionIndexName?: string;
  /** BatchGetItem calls per `get` that may leave keys unprocessed before it gives up. Default 8. */
  readonly maxBatchAttempts?: number;
  /** Waits between batch retries (tests pass a no-op). Default: exponential 50 ms · 2^n, jittered, ≤ 2 s. */
  readonly sleep?: (attempt: number) => Promise<void>;
  /** Items per Query page (DynamoDB's `Limit`); default: DynamoDB's own 1 MB pages. */
  readonly pageSize?: number;
}

/** BatchGetItem reads at most 100 items per request. */
export const MAX_KEYS_PER_BATCH_GET = 100;

const defaultSleep = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const keyOf = (item: Item): VersionKey => ({ key: text(item[TABLE_KEY.partition]), versionId: text(item[TABLE_KEY.sort]) });

export class TableReader {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly dueIndexName: string;
  private readonly attentionIndexName: string;
  private readonly maxBatchAttempts: number;
  private readonly sleep: (attempt: number) => Promise<void>;
  private readonly pageSize?: number;

  constructor(options: TableReaderOptions) {
    this.client = documentClientOf(options.client);
    this.tableName = options.tableName;
    this.dueIndexName = options.dueIndexName ?? DUE_INDEX.name;
    this.attentionIndexName = options.attentionIndexName ?? ATTENTION_INDEX.name;
    this.maxBatchAttempts = options.maxBatchAttempts ?? 8;
    this.sleep = options.sleep ?? defaultSleep;
    this.pageSize = options.pageSize;
  }

  /** Query `due` on one shard: dueAt in (afterExclusive, throughInclusive], ascending, paged. */
  async *due(shard: string, afterExclusive: number, throughInclusive: number): AsyncIterable<VersionKey & { dueAt: number }> {
    if (!(throughInclusive > afterExclusive)) return;
    // BETWEEN is inclusive on both ends; the exclusive lower bound is the next integer (dueAt is epoch ms, integral).
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: this.dueIndexName,
      KeyConditionExpression: '#shard = :shard AND #due BETWEEN :from AND :through',
      ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
      ExpressionAttributeValues: {
        ':shard': shard,
        ':from': Math.floor(afterExclusive) + 1,
        ':through': Math.floor(throughInclusive),
      },
    };
    for await (const item of this.query(input)) {
      yield { ...keyOf(item), dueAt: Number(item[DUE_INDEX.sortKey]) };
    }
  }

  /** Query `attention` on one shard, optionally one state, oldest first. */
  async *attention(shard: string, state?: AttentionState): AsyncIterable<VersionKey & { state: AttentionState; since: number }> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: this.attentionIndexName,
      KeyConditionExpression: '#shard = :shard',
      ExpressionAttributeNames: { '#shard': ATTENTION_INDEX.partitionKey },
      ExpressionAttributeValues: { ':shard': shard },
    };
    if (state) {
      // The index holds only problems: filtering one state out of it reads little that is not wanted.
      input.FilterExpression = '#state = :state';
      input.ExpressionAttributeNames!['#state'] = ATTENTION_INDEX.stateAttribute;
      input.ExpressionAttributeValues![':state'] = state;
    }
    for await (const item of this.query(input)) {
      const found = item[ATTENTION_INDEX.stateAttribute];
      if (found !== 'OVERDUE' && found !== 'FAILED') continue;
      yield { ...keyOf(item), state: found, since: Number(item[ATTENTION_INDEX.sortKey]) };
    }
  }

  /**
   * The records of `keys` (absent ones are left out; duplicates read once), in no particular order. BatchGetItem,
   * 100 keys per call, strongly consistent (the sweep's decision follows the drain's last write); UnprocessedKeys
   * are retried with backoff and, if DynamoDB still leaves some after `maxBatchAttempts`, `get` throws naming how many.
   */
  async get(keys: readonly VersionKey[]): Promise<StoredRecord[]> {
    const unique = new Map<string, VersionKey>();
    for (const k of keys) unique.set(`${k.key}\u0000${k.versionId}`, k);
    const all = [...unique.values()];
    const out: StoredRecord[] = [];
    for (let i = 0; i < all.length; i += MAX_KEYS_PER_BATCH_GET) {
      let pending: Item[] = all.slice(i, i + MAX_KEYS_PER_BATCH_GET).map((k) => ({
        [TABLE_KEY.partition]: k.key,
        [TABLE_KEY.sort]: k.versionId,
      }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.maxBatchAttempts) {
          throw new Error(`BatchGetItem on ${this.tableName}: ${pending.length} keys still unprocessed after ${attempt} attempts`);
        }
        if (attempt > 0) await this.sleep(attempt);
        const page = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[this.tableName] ?? []) out.push(itemToStored(item));
        pending = page.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return out;
  }

  /** The sweep cursor: every due entry with dueAt ≤ this has been evaluated (0 when the sweep never ran). */
  async cursor(): Promise<number> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [TABLE_KEY.partition]: SWEEP_CURSOR.pk, [TABLE_KEY.sort]: SWEEP_CURSOR.sk },
        ConsistentRead: true,
      }),
    );
    const through = out.Item?.[SWEEP_CURSOR.attribute];
    return through === undefined ? 0 : Number(through);
  }

  private async *query(input: QueryCommandInput): AsyncIterable<Item> {
    const request: QueryCommandInput = { ...input, ...(this.pageSize ? { Limit: this.pageSize } : {}) };
    do {
      const page = await this.client.send(new QueryCommand(request));
      for (const item of page.Items ?? []) yield item;
      request.ExclusiveStartKey = page.LastEvaluatedKey;
    } while (request.ExclusiveStartKey);
  }
}
