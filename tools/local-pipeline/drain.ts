/**
 * Step "drain": the drain handler behind a local SQS event source mapping, consuming the queue while the
 * publish step runs, until every published message has been handled.
 */
import type { ReplicationPair } from '../../lambda/core';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import type { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import type { OutcomeSink } from '../../lambda/adapters/outcomes';
import { createDrainHandler, type DrainHandler } from '../../lambda/drain/drain';
import { lineLogger } from './logger';
import type { LocalClients } from './clients';
import { LocalEventSource } from './event-source';
import { chaosWorker, type ChaosCounts } from './chaos';
import type { Provisioned } from './provision';

export interface DrainStep {
  readonly handler: DrainHandler;
  /** Lets the consumers stop once the queue is empty and `expected` messages were handled. */
  finish(expected: number): Promise<void>;
}

/** Starts `workers` consumers at once (before publishing, as Lambda polls a queue that fills). */
export function startDrain(
  clients: LocalClients,
  resources: Provisioned,
  options: {
    store: DynamoRecordStore;
    pairs: readonly ReplicationPair[];
    overdueMillis: number;
    outcomes: OutcomeSink;
    workers: number;
    log: (line: string) => void;
    /** The handler's clock (due times); the harness passes the workload's. */
    now?: () => number;
    /** `--chaos`: the worker may die before acknowledging (see chaos.ts). */
    chaos?: { rate: number; random: () => number; counts: ChaosCounts };
  },
): DrainStep {
  const handler = createDrainHandler({
    store: options.store,
    deadLetters: new SqsDeadLetters(clients.sqs, resources.dlqUrl),
    // Without configured pairs (replay, inferred) the drain decides no outcome; the report is computed afterwards.
    pairs: options.pairs,
    overdueMillis: options.overdueMillis,
    outcomes: options.outcomes,
    logger: lineLogger('drain', 'warn', options.log),
    ...(options.now ? { now: options.now } : {}),
  });
  // Messages acknowledged (deleted) at least once: the run ends when every published message was, however often
  // chaos made one come back.
  const acknowledged = new Set<string>();
  const chaos = options.chaos;
  const worker = chaos ? chaosWorker(handler, chaos.rate, chaos.random, chaos.counts) : handler;
  const acknowledging = async (event: Parameters<typeof handler>[0]) => {
    const response = await worker(event);
    const failed = new Set((response.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const r of event.Records) if (!failed.has(r.messageId)) acknowledged.add(r.messageId);
    return response;
  };
  const eventSource = new LocalEventSource(clients.sqs, acknowledging, {
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    waitSeconds: 1,
  });
  let expected: number | undefined;
  const consumed = eventSource.run({
    workers: options.workers,
    // Until every published message was acknowledged once: messages that come back (chaos, a slow publisher, a
    // failed write) are invisible for the queue's visibility timeout, so idle rounds alone do not mean done.
    idleRounds: 30,
    until: () => expected !== undefined && acknowledged.size >= expected,
  });
  return {
    handler,
    async finish(count) {
      expected = count;
      await consumed;
    },
  };
}
