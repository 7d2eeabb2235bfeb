import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { evaluateRecord, indexPairs, type PairState, type ReplicationPair } from '../core';
import { fromAttributeValues, itemToStored } from '../adapters/dynamodb';
import type { ArchiveSink } from '../adapters/firehose';
import type { Logger } from '../shared/log';

/** One archived line: the columns of the Glue table. */
export interface ArchiveRow {
  source: string;
  destination: string;
  key: string;
  versionId: string;
  state: 'COMPLETED' | 'FAILED';
  sourceTime: string;
  /** The same instant in epoch milliseconds (the Glue table's `sourceat` bigint column). */
  sourceAt: number;
  replicaTime: string | null;
  latencySeconds: number | null;
  bytes: number;
  failureReason: string | null;
  /** Always null for final rows (the Glue table's `pendingseconds` column is for OVERDUE rows). */
  pendingSeconds: null;
}

export function archiveRow(s: PairState): ArchiveRow {
  return {
    source: s.source,
    destination: s.destination,
    key: s.key,
    versionId: s.versionId,
    state: s.state as ArchiveRow['state'],
    sourceTime: new Date(s.sourceAt).toISOString(),
    sourceAt: s.sourceAt,
    replicaTime: s.latencySeconds === null ? null : new Date(s.sourceAt + s.latencySeconds * 1000).toISOString(),
    latencySeconds: s.latencySeconds,
    bytes: s.bytes,
    failureReason: s.failureReason ?? null,
    pendingSeconds: null,
  };
}

export interface ArchiveDependencies {
  readonly sink: ArchiveSink;
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMillis: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * DynamoDB Streams (NEW_IMAGE) → Firehose. A record is archived when the sweep settles it (the image carries
 * `reported` and no longer the pending index attributes): one JSON line per final pair. Firehose failures
 * are retried entry by entry by the sink; if some still fail, the handler throws so the stream batch is retried.
 */
export function createArchiveHandler(deps: ArchiveDependencies): (event: DynamoDBStreamEvent) => Promise<{ archived: number }> {
  const pairs = indexPairs(deps.pairs);
  const now = deps.now ?? Date.now;
  return async (event) => {
    const lines: string[] = [];
    for (const record of event.Records ?? []) {
      const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
      if (!image || record.eventName === 'REMOVE') continue;
      const stored = itemToStored(fromAttributeValues(image));
      if (stored.reported === undefined) continue;
      for (const state of evaluateRecord(stored.record, pairs, { at: now(), overdueMillis: deps.overdueMillis })) {
        if (state.state === 'COMPLETED' || state.state === 'FAILED') lines.push(JSON.stringify(archiveRow(state)));
      }
    }
    if (lines.length) await deps.sink.put(lines);
    deps.logger.info('archived', { records: event.Records?.length ?? 0, lines: lines.length });
    return { archived: lines.length };
  };
}
