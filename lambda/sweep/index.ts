import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3ClientsByBucket, S3ObjectInspector } from '../adapters/s3';
import { DynamoSweepWrites } from '../adapters/sweep-writes';
import { TableReader } from '../adapters/table-reader';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { requireEnv } from '../shared/clients';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/contract';
import { ENV } from '../shared/contract';
import { EmfSweepMetrics } from './emf-metrics';
import { createSweepHandler, type SweepSummary } from './sweep';

export { createSweepHandler } from './sweep';

let context: Context | undefined;
let sweep: (() => Promise<SweepSummary>) | undefined;

function build(): () => Promise<SweepSummary> {
  const config = parseRuntimeConfig(process.env[ENV.config]);
  const client = new DynamoDBClient({});
  const tableName = requireEnv(ENV.tableName);
  return createSweepHandler({
    reader: new TableReader({
      client,
      tableName,
      dueIndexName: process.env[ENV.dueIndexName],
      attentionIndexName: process.env[ENV.attentionIndexName],
    }),
    writes: new DynamoSweepWrites({ client, tableName, retentionHours: config.retentionHours }),
    inspector: new S3ObjectInspector(new S3ClientsByBucket(config.agentRoles)),
    metrics: new EmfSweepMetrics(process.env[ENV.metricsNamespace] || METRICS_NAMESPACE),
    pairs: config.pairs,
    overdueMillis: config.overdueMinutes * 60_000,
    remainingMillis: () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
    logger: createLogger('sweep'),
  });
}

/** Invoked by the every-minute schedule; the event carries nothing the sweep needs, the context its deadline. */
export async function handler(_event: unknown, lambdaContext?: Context): Promise<SweepSummary> {
  context = lambdaContext;
  sweep ??= build();
  return sweep();
}
