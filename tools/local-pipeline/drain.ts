/**
 * Step "drain": the drain handler behind a local SQS event source mapping, consuming the queue while the
 * publish step runs, until every published message has been handled.
 */
import type { ReplicationPair } from '../../lambda/core';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import type { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { createDrainHandler, type DrainHandler } from '../../lambda/drain/drain';
import { lineLogger } from './logger';
import type { LocalClients } from './clients';
import { LocalEventSource } from './event-source';
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
  options: { store: DynamoRecordStore; pairs: readonly ReplicationPair[]; workers: number; log: (line: string) => void },
): DrainStep {
  const handler = createDrainHandler({
    store: options.store,
    deadLetters: new SqsDeadLetters(clients.sqs, resources.dlqUrl),
    // Without configured pairs (replay, inferred) every write may be a source's: mark all pending.
    sources: options.pairs.length ? new Set(options.pairs.map((p) => p.source)) : ({ has: () => true } as unknown as ReadonlySet<string>),
    logger: lineLogger('drain', 'warn', options.log),
  });
  const eventSource = new LocalEventSource(clients.sqs, handler, {
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    waitSeconds: 1,
  });
  let expected: number | undefined;
  const consumed = eventSource.run({
    workers: options.workers,
    idleRounds: 2,
    until: () => expected !== undefined && handler.counters.messages >= expected,
  });
  return {
    handler,
    async finish(count) {
      expected = count;
      await consumed;
    },
  };
}
