import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { changeFor, formatRejection, parseText, type S3ChangeEvent } from '../core';
import { pendingMarkFor, type RecordStore } from '../adapters/dynamodb';
import type { DeadLetters } from '../adapters/dead-letters';
import type { ObjectInspector } from '../adapters/s3';
import { errorFields, type Logger } from '../shared/log';
import { mapLimit } from '../shared/concurrency';

export interface DrainDependencies {
  readonly store: RecordStore;
  readonly deadLetters: DeadLetters;
  /** Resolves the version of a write CloudTrail recorded without `x-amz-version-id`. */
  readonly inspector?: Pick<ObjectInspector, 'resolveVersion'>;
  /** Configured source buckets (their writes put the version in the pending index). */
  readonly sources: ReadonlySet<string>;
  readonly logger: Logger;
  /** UpdateItems in flight at once across the batch. */
  readonly concurrency?: number;
}

/** Running totals, for the demo and the benchmark. */
export interface DrainCounters {
  messages: number;
  events: number;
  applied: number;
  unchanged: number;
  ignored: number;
  /** Rejections the parser reported (one message can hold several). */
  rejected: number;
  unresolved: number;
  deadLettered: number;
  failed: number;
}

export type DrainHandler = ((event: SQSEvent) => Promise<SQSBatchResponse>) & { readonly counters: DrainCounters };

type Outcome = 'done' | 'retry';

/**
 * The drain: each SQS message (an SNS envelope or a raw body) is parsed by the core and each event it holds
 * becomes exactly one conditional UpdateItem. No reads, no DescribeTable, no HeadObject on the happy path.
 *
 * Failures are per message (partial batch response):
 * - A message that cannot be parsed is sent to the DLQ explicitly, with the reason as a message attribute,
 *   and then reported as done. Retrying cannot make it parse, so letting redrive move it would only spend
 *   `maxReceiveCount` invocations and visibility timeouts on it, and the DLQ copy would not say why. If
 *   the DLQ send fails, the message is reported as failed so that it is not lost.
 * - A DynamoDB error (throttling, 5xx, anything but the condition check) fails only that message; it comes
 *   back after its visibility timeout and is applied then (the writes are idempotent).
 */
export function createDrainHandler(deps: DrainDependencies): DrainHandler {
  const counters: DrainCounters = { messages: 0, events: 0, applied: 0, unchanged: 0, ignored: 0, rejected: 0, unresolved: 0, deadLettered: 0, failed: 0 };
  const { store, logger } = deps;
  const limit = deps.concurrency ?? 16;

  /** Stores one event; returns why it could not be placed, if it could not (the message then goes to the DLQ). */
  async function applyEvent(event: S3ChangeEvent, messageId: string): Promise<string | undefined> {
    let change = changeFor(event);
    if (!change && event.type === 'write' && !event.versionId) {
      const versionId = deps.inspector ? await deps.inspector.resolveVersion(event.bucket, event.key, event.at) : undefined;
      if (!versionId) {
        counters.unresolved++;
        logger.warn('write without version ID could not be resolved', { messageId, bucket: event.bucket, key: event.key, at: new Date(event.at).toISOString() });
        return `${event.operation} s3://${event.bucket}/${event.key} at ${new Date(event.at).toISOString()} has no x-amz-version-id and HeadObject/ListObjectVersions found none`;
      }
      change = changeFor({ ...event, versionId });
    }
    if (!change) {
      counters.ignored++;
      return undefined;
    }
    const outcome = await store.apply(change, pendingMarkFor(change, deps.sources));
    counters[outcome]++;
    return undefined;
  }

  async function deadLetter(record: SQSRecord, reason: string): Promise<Outcome> {
    try {
      await deps.deadLetters.send({ body: record.body, reason, messageId: record.messageId, source: record.eventSourceARN });
      counters.deadLettered++;
      logger.warn('message sent to the DLQ', { messageId: record.messageId, reason });
      return 'done';
    } catch (error) {
      logger.error('could not send a message to the DLQ; it will be retried', { messageId: record.messageId, reason, ...errorFields(error) });
      return 'retry';
    }
  }

  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records = event.Records ?? [];
    counters.messages += records.length;
    const parsed = records.map((record) => parseText(record.body));
    // Flatten every event of the batch into one work list so that the concurrency limit is shared.
    const work: { index: number; event: S3ChangeEvent }[] = [];
    parsed.forEach((result, index) => {
      counters.ignored += result.ignored;
      counters.rejected += result.rejected.length;
      for (const e of result.events) work.push({ index, event: e });
    });
    counters.events += work.length;
    const failed = new Set<number>();
    const unplaced = new Map<number, string[]>();
    await mapLimit(work, limit, async ({ index, event: e }) => {
      if (failed.has(index)) return; // the message comes back anyway
      try {
        const reason = await applyEvent(e, records[index].messageId);
        if (reason) unplaced.set(index, [...(unplaced.get(index) ?? []), reason]);
      } catch (error) {
        failed.add(index);
        logger.error('could not store an event; its message will be retried', { messageId: records[index].messageId, ...errorFields(error) });
      }
    });
    // Messages with rejected or unplaceable content: the good events (if any) are applied above; the message
    // goes to the DLQ with the reasons, so that nothing is silently dropped.
    await Promise.all(
      parsed.map(async (result, index) => {
        const problems = [...result.rejected.map(formatRejection), ...(unplaced.get(index) ?? [])];
        if (problems.length === 0 || failed.has(index)) return;
        const reason = problems.slice(0, 5).join('; ') + (problems.length > 5 ? ` (+${problems.length - 5} more)` : '');
        if ((await deadLetter(records[index], reason)) === 'retry') failed.add(index);
      }),
    );
    counters.failed += failed.size;
    if (records.length) {
      logger.debug('batch drained', { messages: records.length, events: work.length, failed: failed.size });
    }
    return { batchItemFailures: [...failed].sort((a, b) => a - b).map((i) => ({ itemIdentifier: records[i].messageId })) };
  };
  return Object.assign(handler, { counters });
}
