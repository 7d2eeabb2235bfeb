import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsDeadLetters, SqsMessageVisibility } from '../adapters/dead-letters';
import { EmfOutcomeSink } from '../adapters/outcomes';
import { requireEnv, sqsEndpointConfigured } from '../shared/clients';
import { tableAndInspectorFromEnv } from '../shared/table-from-env';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/contract';
import { ENV } from '../shared/contract';
import { createDrainHandler, type DrainHandler } from './drain';

export { createDrainHandler } from './drain';

let drain: DrainHandler | undefined;

/** Built once per container from the environment the CDK stack sets. */
function build(): DrainHandler {
  const config = parseRuntimeConfig(process.env[ENV.config]);
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: !sqsEndpointConfigured() });
  return createDrainHandler({
    ...tableAndInspectorFromEnv(config),
    deadLetters: new SqsDeadLetters(sqs, requireEnv(ENV.dlqUrl)),
    visibility: new SqsMessageVisibility(sqs, requireEnv(ENV.queueUrl)),
    pairs: config.pairs,
    overdueMillis: config.overdueMinutes * 60_000,
    outcomes: new EmfOutcomeSink(),
    logger: createLogger('drain'),
  });
}

export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  drain ??= build();
  return drain(event, context);
}
