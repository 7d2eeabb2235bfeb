import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { FirehoseArchiveSink } from '../adapters/firehose';
import { requireEnv } from '../shared/clients';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/contract';
import { ENV } from '../shared/contract';
import { createArchiveHandler, type ArchiveResult } from './archive';

export { createArchiveHandler } from './archive';

let archive: ReturnType<typeof createArchiveHandler> | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<ArchiveResult> {
  if (!archive) {
    const config = parseRuntimeConfig(process.env[ENV.config]);
    archive = createArchiveHandler({
      sink: new FirehoseArchiveSink(new FirehoseClient({}), requireEnv(ENV.archiveStreamName)),
      pairs: config.pairs,
      logger: createLogger('archive'),
    });
  }
  return archive(event);
}
