/**
 * The archive handler: DynamoDB Streams (NEW_AND_OLD_IMAGES) → one archive row per pair outcome → Firehose.
 *
 * Each stream record is one committed write to a version record (drain or sweep). The record as it was (OldImage;
 * none for an INSERT) and as it is (NewImage) give the outcomes of that write through the core's `outcomesOf`, the
 * same function the writers publish metrics with, so the archive follows exactly the transitions the metrics count:
 * a `completed` or `failed` pair writes a row, and a `latency` outcome (a completed pair that gets its latency later)
 * writes a corrected row. A FAILED version that later completes writes a new COMPLETED row. Rows are never updated
 * in place: Athena takes the latest row per (key, versionId, source, destination) by `revision`, then `sequence`
 * (README, Archive).
 *
 * Stream batches are delivered at least once: a retried batch writes its rows again. They are identical (same
 * revision, same values, same `recordedAt` since that is the stream record's own time), so the latest-row query is
 * unaffected. The archive is a history, not a counter: the metrics count.
 *
 * A record that cannot be read (no NewImage, or a MODIFY without its OldImage: the stream is not NEW_AND_OLD_IMAGES)
 * stops the batch there: the rows of the records before it are delivered, and it is reported as the batch's first
 * failure, so the mapping retries from it and finally sends it to the DLQ (its on-failure destination). A Firehose
 * failure throws, so the whole batch is retried.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { evaluateRecord, indexPairs, type PairIndex, type PairState, type ReplicationPair, type VersionRecord } from '../core';
import { outcomesOf, type OutcomeKind } from '../core/outcomes';
import { fromAttributeValues, itemToStored } from '../adapters/dynamodb';
import type { ArchiveSink } from '../adapters/firehose';
import type { Logger } from '../shared/log';

/** The outcomes that write a row (`untracked` concerns a source version, not a pair). */
export type ArchivedOutcome = Exclude<OutcomeKind, 'untracked'>;

/**
 * A row supersedes every row of the same (key, versionId, source, destination) with a lower revision. The order is
 * the order `outcomesOf` can emit them in for one pair: failed (or sourceDeleted, deleteMarkerFailed) → completed →
 * latency, and a metadata failure of a completed pair above all of them (4, or 5 once it has a latency: it is never
 * lost, nor is a latency), so the highest revision is the latest outcome even when two rows carry the same
 * `recordedAt` second. Rows of the same revision (corrections) are ordered by `sequence`.
 */
const REVISION: Record<ArchivedOutcome, number> = {
  failed: 1,
  sourceDeleted: 1,
  deleteMarkerFailed: 1,
  completed: 2,
  latency: 3,
  metadataFailed: 4,
};

/** The revision of a row: its outcome's, or 4/5 for a completed pair with a metadata failure (without/with a latency). */
function revisionOf(s: PairState, outcome: ArchivedOutcome): number {
  if (s.state === 'COMPLETED' && s.failureClass === 'metadata') return s.latencySeconds === null ? 4 : 5;
  return REVISION[outcome];
}

/** One archived line: the columns of the Glue table (lib/constructs/archive.ts, ARCHIVE_COLUMNS; a test keeps them in step). */
export interface ArchiveRow {
  source: string;
  destination: string;
  key: string;
  versionId: string;
  state: 'COMPLETED' | 'FAILED' | 'DELETE_MARKER_FAILED' | 'SOURCE_DELETED';
  /** The transition this row records: `latency` is a correction of an earlier COMPLETED row that had none. */
  outcome: ArchivedOutcome;
  revision: number;
  /** When the deciding write was committed: the stream record's ApproximateCreationDateTime, epoch ms (whole seconds). */
  recordedAt: number;
  /** The stream record's SequenceNumber padded to 40 digits: orders rows of the same revision (corrections). */
  sequence: string;
  sourceTime: string;
  /** The same instant in epoch milliseconds (the Glue table's `sourceat` bigint column). */
  sourceAt: number;
  /** The source write was never seen (replica-only version): sourceTime is then the replica's time. */
  withoutSource: boolean;
  replicaTime: string | null;
  latencySeconds: number | null;
  bytes: number;
  /** The failure notice's reason: FAILED, DELETE_MARKER_FAILED and SOURCE_DELETED rows, and COMPLETED ones with a metadata failure. */
  failureReason: string | null;
  /** Its class (lambda/core/failures.ts): data, metadata, deleteMarker or sourceDeleted; null without a reason. */
  failureClass: string | null;
  /** Always null for final rows (the Glue table's `pendingseconds` column is for OVERDUE rows). */
  pendingSeconds: null;
}

export function archiveRow(s: PairState, outcome: ArchivedOutcome, recordedAt: number, sequence: string): ArchiveRow {
  return {
    source: s.source,
    destination: s.destination,
    key: s.key,
    versionId: s.versionId,
    state: s.state as ArchiveRow['state'],
    outcome,
    revision: revisionOf(s, outcome),
    recordedAt,
    sequence,
    sourceTime: new Date(s.sourceAt).toISOString(),
    sourceAt: s.sourceAt,
    withoutSource: s.withoutSource === true,
    replicaTime: s.latencySeconds === null ? null : new Date(s.sourceAt + s.latencySeconds * 1000).toISOString(),
    latencySeconds: s.latencySeconds,
    bytes: s.bytes,
    failureReason: s.failureReason ?? (s.state === 'FAILED' ? 'Unknown' : null),
    failureClass: s.failureClass ?? (s.state === 'FAILED' ? 'data' : null),
    pendingSeconds: null,
  };
}

export interface ArchiveDependencies {
  readonly sink: ArchiveSink;
  readonly pairs: readonly ReplicationPair[];
  readonly logger: Logger;
  /** Only for a stream record without ApproximateCreationDateTime (AWS always sets it). */
  readonly now?: () => number;
}

export interface ArchiveResult {
  readonly archived: number;
  /** Lambda's partial batch response (the mapping has ReportBatchItemFailures): at most the first unreadable record. */
  readonly batchItemFailures: { itemIdentifier: string }[];
}

type Image = Record<string, AttributeValue>;

const FINAL_AT = { at: 0, overdueMillis: Number.POSITIVE_INFINITY };
const pairId = (s: { source: string; destination?: string }) => `${s.source}>${s.destination}`;
const FINAL_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'DELETE_MARKER_FAILED', 'SOURCE_DELETED']);
const isFinal = (s: PairState | undefined): s is PairState => s !== undefined && FINAL_STATES.has(s.state);

/** The outcome a correction row (same state, new content) stands for. */
function correctionKind(s: PairState): ArchivedOutcome {
  switch (s.state) {
    case 'FAILED':
      return 'failed';
    case 'SOURCE_DELETED':
      return 'sourceDeleted';
    case 'DELETE_MARKER_FAILED':
      return 'deleteMarkerFailed';
    default:
      return s.failureClass === 'metadata' ? 'metadataFailed' : s.latencySeconds === null ? 'completed' : 'latency';
  }
}

/** What a row says about a pair, without the columns that say which write it came from. */
function content(s: PairState): string {
  return JSON.stringify(archiveRow(s, 'completed', 0, ''));
}

/**
 * The rows of one stream record, or why it cannot be read. Each `completed`, `failed` or `latency` outcome of the
 * write is a row. A pair that stays FAILED or COMPLETED while what a row says about it changes (a failure notice that
 * arrived before its source write, whose size and time come later; an earlier replica event that shortens the
 * latency) gets a correction row of the same kind, so that the latest row is the final state; the metrics count
 * neither again.
 */
function rowsOf(record: DynamoDBRecord, pairs: PairIndex, now: () => number): string[] | { problem: string } {
  const change = record.dynamodb;
  const newImage = change?.NewImage as Image | undefined;
  const oldImage = change?.OldImage as Image | undefined;
  if (!newImage) return { problem: `${record.eventName} record has no NewImage: the table stream must be NEW_AND_OLD_IMAGES` };
  if (record.eventName === 'MODIFY' && !oldImage) {
    return { problem: 'MODIFY record has no OldImage: the table stream must be NEW_AND_OLD_IMAGES' };
  }
  // Stream images are DynamoDB JSON (AttributeValues), not the DocumentClient's plain values.
  const before: VersionRecord | undefined = oldImage ? itemToStored(fromAttributeValues(oldImage)).record : undefined;
  const after = itemToStored(fromAttributeValues(newImage)).record;
  const kinds = new Map(outcomesOf(before, after, pairs).flatMap((o) => (o.kind === 'untracked' ? [] : [[pairId(o), o.kind] as const])));
  const old = new Map((before ? evaluateRecord(before, pairs, FINAL_AT) : []).map((s) => [pairId(s), s]));
  const seconds = change?.ApproximateCreationDateTime;
  const recordedAt = typeof seconds === 'number' && Number.isFinite(seconds) ? Math.round(seconds * 1000) : now();
  const sequence = sequenceColumn(change?.SequenceNumber);
  const rows: string[] = [];
  for (const state of evaluateRecord(after, pairs, FINAL_AT)) {
    if (!isFinal(state)) continue;
    const was = old.get(pairId(state));
    let kind = kinds.get(pairId(state));
    if (!kind) {
      // Not an outcome: only a same-state change of content is a correction (COMPLETED → FAILED is no transition).
      if (!isFinal(was) || was.state !== state.state || content(was) === content(state)) continue;
      kind = correctionKind(state);
    }
    rows.push(JSON.stringify(archiveRow(state, kind, recordedAt, sequence)));
  }
  return rows;
}

/**
 * The stream record's SequenceNumber (decimal, 21–40 digits), left-padded with zeros to 40 so that comparing the
 * strings orders them as numbers: DynamoDB Streams publishes an item's changes in the order they were made.
 */
function sequenceColumn(sequenceNumber: string | undefined): string {
  return sequenceNumber && /^[0-9]{1,40}$/.test(sequenceNumber) ? sequenceNumber.padStart(40, '0') : '';
}

export function createArchiveHandler(deps: ArchiveDependencies): (event: DynamoDBStreamEvent) => Promise<ArchiveResult> {
  const pairs = indexPairs(deps.pairs);
  const now = deps.now ?? Date.now;
  return async (event) => {
    const lines: string[] = [];
    const batchItemFailures: { itemIdentifier: string }[] = [];
    let skipped = 0;
    for (const [index, record] of (event.Records ?? []).entries()) {
      // REMOVE (TTL expiry) is filtered out at the mapping; a deleted record decides nothing.
      if (record.eventName === 'REMOVE') {
        skipped++;
        continue;
      }
      const rows = rowsOf(record, pairs, now);
      if (Array.isArray(rows)) {
        lines.push(...rows);
        continue;
      }
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      const where = { eventID: record.eventID, sequenceNumber, index, eventSourceARN: record.eventSourceARN };
      deps.logger.error('unreadable stream record', { ...where, problem: rows.problem });
      // Without a sequence number the mapping cannot be told where to resume: fail the whole batch.
      if (!sequenceNumber) throw new Error(`stream record ${index} (eventID ${record.eventID ?? '?'}): ${rows.problem}; no SequenceNumber`);
      batchItemFailures.push({ itemIdentifier: sequenceNumber });
      break;
    }
    if (lines.length) await deps.sink.put(lines);
    deps.logger.info('archived', { records: event.Records?.length ?? 0, lines: lines.length, skipped, failed: batchItemFailures.length });
    return { archived: lines.length, batchItemFailures };
  };
}
