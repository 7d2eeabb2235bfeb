import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRecordStore } from '../adapters/dynamodb';
import { S3ClientsByBucket, S3ObjectInspector } from '../adapters/s3';
import type { RuntimeConfig } from './contract';
import { ENV } from './contract';
import { requireEnv } from './clients';

/** The version table and the object inspector, as both the drain and the sweep build them from their environment. */
export function tableAndInspectorFromEnv(config: RuntimeConfig): { store: DynamoRecordStore; inspector: S3ObjectInspector } {
  return {
    store: new DynamoRecordStore({
      client: new DynamoDBClient({}),
      tableName: requireEnv(ENV.tableName),
      retentionHours: config.retentionHours,
    }),
    inspector: new S3ObjectInspector(new S3ClientsByBucket(config.agentRoles)),
  };
}
