import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { changeFor, formatRejection, indexPairs, parseText, type ReplicationPair, type S3ChangeEvent } from '../core';
import { outcomesOf } from '../core/outcomes';
import { dueMarkFor, type DueRules, type RecordStore } from '../adapters/dynamodb';
import type { DeadLetters, MessageVisibility } from '../adapters/dead-letters';
import type { OutcomeSink } from '../adapters/outcomes';
import type { ObjectInspector } from '../adapters/s3';
import { errorFields, type Logger } from '../shared/log';
import { mapLimit } from '../shared/concurrency';

export interface DrainDependencies {
  readonly store: RecordStore;
  readonly deadLetters: DeadLetters;
  /** Resolves the version of a write CloudTrail recorded without `x-amz-version-id`. */
  readonly inspector?: Pick<ObjectInspector, 'resolveVersion'>;
  /** The configured pairs: outcomes are evaluated on them; their buckets' writes mark versions due for the sweep. */
  readonly pairs: readonly ReplicationPair[];
  /** A version still pending this long after its source write is overdue (the due index's time). */
  readonly overdueMillis: number;
  /** Where the outcome a write decides is published, synchronously after the write (EMF in the cloud). */
  readonly outcomes: OutcomeSink;
  readonly logger: Logger;
  /** UpdateItems in flight at once across the batch. */
  readonly concurrency?: number;
  /** No write is started with less than this left of the invocation (Lambda context); the message is retried. */
  readonly reserveMillis?: number;
  /** The clock for due times (handler time, not event time). */
  readonly now?: () => number;
  /** Backs off messages that failed to store (ChangeMessageVisibility); without it they return after the queue's timeout. */
  readonly visibility?: MessageVisibility;
  /** Seconds of back-off by receive count (default `backoffSeconds`; tests scale it down). */
  readonly backoff?: (receiveCount: number) => number;
}

/** Running totals, for the demo and the benchmark. */
interface DrainCounters {
  messages: number;
  events: number;
  applied: number;
  unchanged: number;
  /** Writes whose response was lost and that the SDK's retry recognised as its own (outcomes still published). */
  recovered: number;
  /** Of those, the ones found under later writes by other workers in the write log (the cross-worker case). */
  recoveredUnderLaterWrites: number;
  /** Outcomes published. */
  outcomes: number;
  /** Events not started because the invocation was about to time out (their messages come back). */
  deferred: number;
  ignored: number;
  /** Rejections the parser reported (one message can hold several). */
  rejected: number;
  unresolved: number;
  deadLettered: number;
  failed: number;
}

export type DrainHandler = ((event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse>) & {
  readonly counters: DrainCounters;
};

type Outcome = 'done' | 'retry';

/** The write token of one event of one delivery: see WRITE_LOG in lambda/shared/contract.ts. */
function writeToken(record: Pick<SQSRecord, 'messageId' | 'attributes'>, index: number): string {
  return `${record.messageId}#${index}@${record.attributes?.ApproximateReceiveCount ?? '1'}`;
}

/** The time left before the invocation must end, past which no write is started. */
const DEFAULT_RESERVE_MILLIS = 5_000;

/**
 * How long a message that could not be stored stays invisible before its next delivery, by its receive count:
 * 60 s doubling to at most 15 minutes. With the queue's maxReceiveCount (lib/defaults.ts, 12) a message survives
 * 60+120+240+480 s + 8 × 900 s ≈ 2 h 15 min of DynamoDB outage before SQS would move it to the DLQ.
 */
const BACKOFF = { firstSeconds: 60, maxSeconds: 900 } as const;
export function backoffSeconds(receiveCount: number): number {
  const n = Math.max(1, Math.floor(receiveCount) || 1);
  return Math.min(BACKOFF.maxSeconds, BACKOFF.firstSeconds * 2 ** Math.min(n - 1, 20));
}

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
 *
 * Exactly once per transition: each write returns the item as it was (ALL_OLD); the core's applyChange gives the
 * record after it and outcomesOf what it decided, which is published at once, with no await between the write's
 * response and the publish. A duplicate or a redelivery fails the condition and publishes nothing. An SDK retry
 * after a lost response recognises its own committed write by its token in the item's write log (WRITE_LOG; the
 * token includes the delivery's receive count, so a later delivery of the same message never takes an earlier
 * delivery's write for its own), also when other workers wrote the version after it, and publishes from the record
 * rebuilt as it was just before it: the later writers published from the record after it, so each transition is
 * published once. The one window left is a process that dies while its deciding write is in flight: the write
 * commits, nobody publishes. It is narrowed by starting no write in the last `reserveMillis` of the invocation.
 */
export function createDrainHandler(deps: DrainDependencies): DrainHandler {
  const counters: DrainCounters = {
    messages: 0,
    events: 0,
    applied: 0,
    unchanged: 0,
    recovered: 0,
    recoveredUnderLaterWrites: 0,
    outcomes: 0,
    deferred: 0,
    ignored: 0,
    rejected: 0,
    unresolved: 0,
    deadLettered: 0,
    failed: 0,
  };
  const { store, logger } = deps;
  const limit = deps.concurrency ?? 16;
  const pairs = indexPairs(deps.pairs);
  const rules: DueRules = {
    sources: new Set(deps.pairs.map((p) => p.source)),
    destinations: new Set(deps.pairs.map((p) => p.destination)),
    overdueMillis: deps.overdueMillis,
  };
  const now = deps.now ?? Date.now;

  /** Stores one event; returns why it could not be placed, if it could not (the message then goes to the DLQ). */
  async function applyEvent(event: S3ChangeEvent, messageId: string, token: string): Promise<string | undefined> {
    let change = changeFor(event);
    if (!change && event.type === 'write' && !event.versionId) {
      const versionId = deps.inspector ? await deps.inspector.resolveVersion(event.bucket, event.key, event.at) : undefined;
      if (!versionId) {
        counters.unresolved++;
        logger.warn('write without version ID could not be resolved', {
          messageId,
          bucket: event.bucket,
          key: event.key,
          at: new Date(event.at).toISOString(),
        });
        return `${event.operation} s3://${event.bucket}/${event.key} at ${new Date(event.at).toISOString()} has no x-amz-version-id and HeadObject/ListObjectVersions found none`;
      }
      change = changeFor({ ...event, versionId });
    }
    if (!change) {
      counters.ignored++;
      return undefined;
    }
    const due = dueMarkFor(change, rules, now());
    const result = await store.apply(change, { token, ...(due ? { due } : {}) });
    // Nothing may come between the write's response and the publish: see the module comment.
    counters[result.outcome]++;
    if (result.outcome === 'applied') {
      const outcomes = outcomesOf(result.before, result.after, pairs);
      if (outcomes.length) {
        deps.outcomes.publish(outcomes, { messageId });
        counters.outcomes += outcomes.length;
      }
      if (result.recovered) counters.recovered++;
      if (result.recovered && result.laterWrites) counters.recoveredUnderLaterWrites++;
    }
    return undefined;
  }

  async function deadLetter(record: SQSRecord, reason: string): Promise<Outcome> {
    try {
      await deps.deadLetters.send({ body: record.body, reason, messageId: record.messageId, source: record.eventSourceARN });
      counters.deadLettered++;
      logger.warn('message sent to the DLQ', { messageId: record.messageId, reason });
      return 'done';
    } catch (error) {
      logger.error('could not send a message to the DLQ; it will be retried', {
        messageId: record.messageId,
        reason,
        ...errorFields(error),
      });
      return 'retry';
    }
  }

  const reserve = deps.reserveMillis ?? DEFAULT_RESERVE_MILLIS;
  const backoff = deps.backoff ?? backoffSeconds;
  const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const records = event.Records ?? [];
    counters.messages += records.length;
    const parsed = records.map((record) => parseText(record.body));
    // Flatten every event of the batch into one work list so that the concurrency limit is shared.
    const work: { index: number; position: number; event: S3ChangeEvent }[] = [];
    parsed.forEach((result, index) => {
      counters.ignored += result.ignored;
      counters.rejected += result.rejected.length;
      // Issue 15: a notice about another operation than OBJECT_PUT is no data failure; values never seen are logged.
      for (const s3Operation of result.unseenOperations ?? [])
        logger.warn('replication notice with an unseen s3Operation: counted as a metadata failure', {
          messageId: records[index].messageId,
          s3Operation,
        });
      result.events.forEach((e, position) => work.push({ index, position, event: e }));
    });
    counters.events += work.length;
    const failed = new Set<number>();
    const deferredIndexes = new Set<number>();
    const unplaced = new Map<number, string[]>();
    // The events of one version are written one after another (versions in parallel). The write log lets a write
    // recognise itself under later ones (other workers'), so this is no longer needed for exactness; it keeps one
    // batch from racing itself on one item (its condition failures would be wasted writes).
    const byVersion = new Map<string, typeof work>();
    for (const item of work) {
      const id = item.event.versionId === undefined ? `#${byVersion.size}` : `${item.event.key}\u0000${item.event.versionId}`;
      const group = byVersion.get(id);
      if (group) group.push(item);
      else byVersion.set(id, [item]);
    }
    await mapLimit([...byVersion.values()], limit, async (group) => {
      for (const { index, position, event: e } of group) {
        if (failed.has(index)) continue; // the message comes back anyway
        if (context && context.getRemainingTimeInMillis() < reserve) {
          // Too close to the timeout: a write cut off in flight could commit unpublished. Leave it to the next delivery.
          counters.deferred++;
          failed.add(index);
          deferredIndexes.add(index);
          continue;
        }
        try {
          const reason = await applyEvent(e, records[index].messageId, writeToken(records[index], position));
          if (reason) unplaced.set(index, [...(unplaced.get(index) ?? []), reason]);
        } catch (error) {
          failed.add(index);
          logger.error('could not store an event; its message will be retried', {
            messageId: records[index].messageId,
            ...errorFields(error),
          });
        }
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
    // Back off what failed to store (an outage must not burn through maxReceiveCount). Deferred ones return at once.
    const backOff = [...failed].filter((i) => !deferredIndexes.has(i));
    if (deps.visibility && backOff.length) {
      try {
        await deps.visibility.delay(
          backOff.map((i) => ({
            receiptHandle: records[i].receiptHandle,
            seconds: backoff(Number(records[i].attributes?.ApproximateReceiveCount ?? 1)),
          })),
        );
      } catch (error) {
        logger.error('could not back off failed messages; they return after the queue visibility timeout', {
          count: backOff.length,
          ...errorFields(error),
        });
      }
    }
    if (records.length) {
      logger.debug('batch drained', { messages: records.length, events: work.length, failed: failed.size });
    }
    return { batchItemFailures: [...failed].sort((a, b) => a - b).map((i) => ({ itemIdentifier: records[i].messageId })) };
  };
  return Object.assign(handler, { counters });
}
