/**
 * The versions of one pair that need action, read from the table through the `attention` index (only the sweep's
 * problems are in it: FAILED and OVERDUE versions), never a Scan: per shard one paged Query, then the whole records
 * by BatchGetItem (100 keys per call) and the core's evaluation, because the index's state is per version while a
 * redrive is per pair (a version can have failed to one destination and completed to another).
 *
 * Memory is bounded by one batch of keys per shard; the caller streams what is yielded.
 */
import type { TableReader, VersionKey } from '../../lambda/adapters/table-reader';
import { evaluateRecord, indexPairs, type PairState, type ReplicationPair } from '../../lambda/core';
import { needsRedrive } from '../../lambda/core/failures';
import { SHARDS, type AttentionState } from '../../lambda/shared/contract';
import { MAX_KEYS_PER_BATCH_GET } from '../../lambda/adapters/table-reader';

export interface SelectionOptions {
  /** The pair to select for. */
  readonly pair: ReplicationPair;
  /** Every configured pair (the origin of a version is judged over all of them, as the sweep does). */
  readonly pairs: readonly ReplicationPair[];
  readonly state: AttentionState;
  /** Source write time bounds (epoch ms, inclusive). */
  readonly since?: number;
  readonly until?: number;
  /** Evaluation time and threshold, as the sweep judges OVERDUE. */
  readonly at: number;
  readonly overdueMillis: number;
}

export interface SelectionCounts {
  /** Index entries read (all states the query returned). */
  indexed: number;
  /** Records read by BatchGetItem. */
  recordsRead: number;
}

export async function* selectVersions(
  reader: Pick<TableReader, 'attention' | 'get'>,
  options: SelectionOptions,
  counts?: SelectionCounts,
): AsyncIterable<PairState> {
  const pairs = indexPairs(
    options.pairs.some((p) => p.source === options.pair.source && p.destination === options.pair.destination)
      ? options.pairs
      : [...options.pairs, options.pair],
  );
  // FAILED: the failure classes data and metadata (FAILED versions, and completed ones whose metadata failed).
  const wanted = options.state === 'FAILED' ? needsRedrive : (s: PairState) => s.state === 'OVERDUE';
  for (let shard = 0; shard < SHARDS; shard++) {
    let batch: VersionKey[] = [];
    const flush = async function* () {
      const records = await reader.get(batch);
      batch = [];
      if (counts) counts.recordsRead += records.length;
      const states: PairState[] = [];
      for (const { record } of records) {
        for (const state of evaluateRecord(record, pairs, { at: options.at, overdueMillis: options.overdueMillis })) {
          if (state.source === options.pair.source && state.destination === options.pair.destination && wanted(state)) states.push(state);
        }
      }
      // BatchGetItem answers in no order: sort so the same table gives the same manifest.
      states.sort(
        (a, b) => a.sourceAt - b.sourceAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || (a.versionId < b.versionId ? -1 : 1),
      );
      yield* states;
    };
    for await (const entry of reader.attention(String(shard), options.state)) {
      if (counts) counts.indexed++;
      if (options.since !== undefined && entry.since < options.since) continue;
      if (options.until !== undefined && entry.since > options.until) continue;
      batch.push({ key: entry.key, versionId: entry.versionId });
      if (batch.length === MAX_KEYS_PER_BATCH_GET) yield* flush();
    }
    if (batch.length > 0) yield* flush();
  }
}
