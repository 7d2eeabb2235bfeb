import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { FirehoseArchiveSink } from '../adapters/firehose';
import { requireEnv } from '../shared/clients';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/contract';
import { ENV } from '../shared/contract';
import { createArchiveHandler } from './archive';

export { createArchiveHandler } from './archive';

let archive: ReturnType<typeof createArchiveHandler> | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<{ archived: number }> {
  if (!archive) {
    const config = parseRuntimeConfig(process.env[ENV.config]);
    archive = createArchiveHandler({
      sink: new FirehoseArchiveSink(new FirehoseClient({}), requireEnv(ENV.archiveStreamName)),
      pairs: config.pairs,
      overdueMillis: config.overdueMinutes * 60_000,
      logger: createLogger('archive'),
    });
  }
  return archive(event);
}
