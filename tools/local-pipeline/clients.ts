import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export const LOCAL_REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** AWS API calls by service and command, counted by SDK middleware. */
export class CallCounter {
  readonly calls = new Map<string, number>();

  /** Counts every command `client` sends (once per command, retries included as separate attempts are not). */
  // The SDK's middleware types differ per client; any client's stack takes this initialize-step middleware.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  watch<C extends { middlewareStack: { add: (...args: any[]) => void } }>(client: C, service: string): C {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const name = `${service}.${context.commandName ?? 'unknown'}`;
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: `crrMonitorCallCounter` },
    );
    return client;
  }

  total(filter: (name: string) => boolean = () => true): number {
    let sum = 0;
    for (const [name, count] of this.calls) if (filter(name)) sum += count;
    return sum;
  }

  get(name: string): number {
    return this.calls.get(name) ?? 0;
  }
}

export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/** Clients for the emulators; `maxAttempts` 1 for DynamoDB when a test wants failures to surface at once. */
export function localClients(
  endpoints: { dynamodb: string; sqs: string; sns: string },
  options: { dynamoMaxAttempts?: number } = {},
): LocalClients {
  return {
    dynamodb: new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: endpoints.dynamodb,
      credentials: CREDENTIALS,
      maxAttempts: options.dynamoMaxAttempts,
    }),
    // fauxqs queue URLs name the host sqs.<region>.localhost: keep the endpoint instead of following them.
    sqs: new SQSClient({ region: LOCAL_REGION, endpoint: endpoints.sqs, credentials: CREDENTIALS, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient({ region: LOCAL_REGION, endpoint: endpoints.sns, credentials: CREDENTIALS }),
  };
}
