import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoRecordStore } from '../adapters/dynamodb';
import { SqsDeadLetters } from '../adapters/dead-letters';
import { S3ClientsByBucket, S3ObjectInspector } from '../adapters/s3';
import { requireEnv, sqsEndpointConfigured } from '../shared/clients';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/runtime-config';
import { ENV } from '../shared/table-schema';
import { createDrainHandler, type DrainHandler } from './drain';

export { createDrainHandler } from './drain';

let drain: DrainHandler | undefined;

/** Built once per container from the environment the CDK stack sets. */
function build(): DrainHandler {
  const config = parseRuntimeConfig(process.env[ENV.config]);
  return createDrainHandler({
    store: new DynamoRecordStore({
      client: new DynamoDBClient({}),
      tableName: requireEnv(ENV.tableName),
      pendingIndexName: process.env[ENV.pendingIndexName],
      retentionHours: config.retentionHours,
    }),
    deadLetters: new SqsDeadLetters(new SQSClient({ useQueueUrlAsEndpoint: !sqsEndpointConfigured() }), requireEnv(ENV.dlqUrl)),
    inspector: new S3ObjectInspector(new S3ClientsByBucket(config.agentRoles)),
    sources: config.sources,
    logger: createLogger('drain'),
  });
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  drain ??= build();
  return drain(event);
}
