/**
 * `crr-monitor local --chaos RATE`: faults injected at that rate into the monitor's side, to show that the report and
 * the published metrics do not change (issue 9):
 * - DynamoDB errors and throttling on the drain's writes: before a request (ProvisionedThroughputExceeded,
 *   InternalServerError: nothing written) and after a committed write (the response is lost: the SDK retries and
 *   the retry must recognise its own write);
 * - a drain worker that dies after its writes and publishes, before acknowledging: none of its batch is deleted,
 *   every message comes back after the visibility timeout.
 * - a sweep that dies half-way (chaosSweepWrites): at `rate` per write it dies between two writes — after the ones
 *   before it were answered and their outcomes published, before this one is sent — and the sweep step runs it
 *   again as the next scheduled invocation would. Its DynamoDB client also gets chaosDynamo's faults.
 * Faults are drawn from PRNGs seeded with --seed.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SweepWrites } from '../../lambda/adapters/sweep-writes';

export interface ChaosCounts {
  throttled: number;
  serverErrors: number;
  lostResponses: number;
  workersDied: number;
  sweepsDied: number;
}

export const noChaos = (): ChaosCounts => ({ throttled: 0, serverErrors: 0, lostResponses: 0, workersDied: 0, sweepsDied: 0 });

const fault = (name: string, status: number, message: string) =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

/** Injects DynamoDB faults into UpdateItem attempts (inside the SDK's retry loop, below the deserializer). */
export function chaosDynamo(client: DynamoDBClient, rate: number, random: () => number, counts: ChaosCounts): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if ((context as { commandName?: string }).commandName !== 'UpdateItemCommand' || rate <= 0) return next(args);
      const draw = random();
      if (draw < rate / 3) {
        counts.throttled++;
        throw fault('ProvisionedThroughputExceededException', 400, 'chaos: throughput exceeded');
      }
      if (draw < (2 * rate) / 3) {
        counts.serverErrors++;
        throw fault('InternalServerError', 500, 'chaos: internal server error');
      }
      const result = await next(args);
      const status = (result as { response?: { statusCode?: number } }).response?.statusCode;
      if (draw < rate && status === 200) {
        counts.lostResponses++;
        throw Object.assign(new Error('chaos: socket hang up after the write'), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      }
      return result;
    },
    { step: 'deserialize', name: 'crrMonitorChaos' },
  );
  return client;
}

/** A drain worker that, at `rate` per batch, dies after handling it and before acknowledging: nothing is deleted. */
export function chaosWorker<H extends (event: SQSEvent) => Promise<SQSBatchResponse>>(
  handler: H,
  rate: number,
  random: () => number,
  counts: ChaosCounts,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const response = await handler(event);
    if (rate > 0 && random() < rate) {
      counts.workersDied++;
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    return response;
  };
}

/** The sweep function died (chaosSweepWrites): the run is over, whatever it was doing. */
export class SweepDied extends Error {}

/**
 * Sweep writes for one run of a function that, at `rate` per write, dies half-way. The death falls between writes:
 * once drawn, no write starts any more, the ones already in flight are answered (and published by the sweep, which
 * does so synchronously on the answer), and then the run throws SweepDied. (A death while a write is in flight — the
 * write commits, its answer is never seen — is the window the README states; chaosDynamo's lost responses, which the
 * SDK retries, are the part of it a live function survives.)
 */
export function chaosSweepWrites(writes: SweepWrites, rate: number, random: () => number, counts: ChaosCounts): SweepWrites {
  let dead = false;
  let inFlight = 0;
  let settled: (() => void) | undefined;
  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (settled = resolve)));
  const guard = async <T>(write: () => Promise<T>): Promise<T> => {
    if (!dead && rate > 0 && random() < rate) {
      dead = true;
      counts.sweepsDied++;
      await idle();
    }
    if (dead) throw new SweepDied('chaos: the sweep function died half-way');
    inFlight++;
    try {
      return await write();
    } finally {
      if (--inFlight === 0) settled?.();
    }
  };
  return {
    check: (change, token, attention) => guard(() => writes.check(change, token, attention)),
    mark: (key, versionId, attention) => guard(() => writes.mark(key, versionId, attention)),
    advanceCursor: (from, to) => guard(() => writes.advanceCursor(from, to)),
  };
}
