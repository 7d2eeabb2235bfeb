import type { ObjectInspector } from '../../lambda/adapters/s3';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { applyChange, changeFor, type ReplicationPair, type SlotChange, type VersionRecord } from '../../lambda/core';
import type { OutcomeSink } from '../../lambda/adapters/outcomes';
import { RecordingOutcomeSink } from '../../tools/recording-outcomes';
import { DynamoRecordStore, type RecordStore, type StoredRecord } from '../../lambda/adapters/dynamodb';
import { scanRecords, type TableRef } from '../../tools/local-pipeline/table-scan';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import { createDrainHandler, type DrainHandler } from '../../lambda/drain/drain';
import { memoryLogger } from './memory-logger';
import { CallCounter, localClients, type LocalClients } from '../../tools/local-pipeline/clients';
import { startEmulators, type Emulators } from '../../tools/local-pipeline/emulators';
import { LocalEventSource } from '../../tools/local-pipeline/event-source';
import { createTable, provision, type Provisioned } from '../../tools/local-pipeline/provision';

export interface Harness {
  readonly emulators: Emulators;
  readonly clients: LocalClients;
  readonly resources: Provisioned;
  readonly calls: CallCounter;
  stop(): Promise<void>;
}

let sequence = 0;

/** One emulator pair per test file; each test gets fresh resources from `fresh()`. */
export async function startHarness(): Promise<Harness> {
  const emulators = await startEmulators();
  const calls = new CallCounter();
  const clients = localClients(emulators.endpoints, { dynamoMaxAttempts: 2 });
  calls.watch(clients.dynamodb, 'dynamodb');
  calls.watch(clients.sqs, 'sqs');
  const resources = await provision(clients, { name: `t${++sequence}`, visibilityTimeoutSeconds: 1, regions: ['us-east-1', 'eu-west-2'] });
  return { emulators, clients, resources, calls, stop: () => emulators.stop() };
}

/** A new table (same shape) for a test, so that tests do not see each other's records. */
/**
 * Registers the jest hooks of an integration test file: one emulator pair for the file, a fresh table and
 * empty queues for each test. Read `env.h` and `env.table` inside tests.
 */
export function useEmulators(): { readonly h: Harness; readonly table: string } {
  const env = {} as { h: Harness; table: string };
  beforeAll(async () => {
    env.h = await startHarness();
  });
  afterAll(async () => {
    await env.h?.stop();
  });
  beforeEach(async () => {
    env.table = await freshTable(env.h);
    await purgeQueues(env.h);
  });
  afterEach(async () => {
    await dropTable(env.h, env.table);
  });
  return env;
}

export async function freshTable(h: Harness): Promise<string> {
  const name = `records-${++sequence}`;
  await createTable(h.clients.dynamodb, name);
  return name;
}

export async function dropTable(h: Harness, name: string): Promise<void> {
  await h.clients.dynamodb.send(new DeleteTableCommand({ TableName: name }));
}

export async function purgeQueues(h: Harness): Promise<void> {
  await h.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: h.resources.queueUrl }));
  await h.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: h.resources.dlqUrl }));
}

export function storeFor(h: Harness, tableName: string, now?: () => number): DynamoRecordStore {
  return new DynamoRecordStore({ client: h.clients.dynamodb, tableName, retentionHours: 24, ...(now ? { now } : {}) });
}

/**
 * A drain on the harness. `pairs` are the configured pairs; a bucket name alone (a source with no destination
 * worth naming) stands for a pair to `<name>-replica`. Outcomes go to `outcomes` (a fresh recorder by default).
 */
export function drainFor(
  h: Harness,
  store: RecordStore,
  pairs: readonly (string | ReplicationPair)[],
  inspector?: Pick<ObjectInspector, 'resolveVersion'>,
  outcomes: OutcomeSink = new RecordingOutcomeSink(),
): DrainHandler {
  return createDrainHandler({
    store,
    deadLetters: new SqsDeadLetters(h.clients.sqs, h.resources.dlqUrl),
    pairs: pairs.map((p) => (typeof p === 'string' ? { source: p, destination: `${p}-replica` } : p)),
    overdueMillis: 15 * 60_000,
    outcomes,
    logger: memoryLogger(),
    ...(inspector ? { inspector } : {}),
  });
}

export function eventSourceFor(h: Harness, drain: DrainHandler): LocalEventSource {
  return new LocalEventSource(h.clients.sqs, drain, { queueUrl: h.resources.queueUrl, queueArn: h.resources.queueArn });
}

/** Publishes a document to a forwarder topic, as EventBridge → SNS does. */
export async function publish(h: Harness, doc: unknown, region = 'us-east-1'): Promise<void> {
  await h.clients.sns.send(
    new PublishCommand({ TopicArn: h.resources.topicArns[region], Message: typeof doc === 'string' ? doc : JSON.stringify(doc) }),
  );
}

/** The harness's table `tableName`, for reading it back. */
export const tableOf = (h: Harness, tableName: string): TableRef => ({ client: h.clients.dynamodb, tableName });

/** Every record of the table, by `key\u0000versionId`. */
export async function readAll(table: TableRef): Promise<Map<string, StoredRecord>> {
  const out = new Map<string, StoredRecord>();
  for await (const stored of scanRecords(table)) out.set(`${stored.record.key}\u0000${stored.record.versionId}`, stored);
  return out;
}

/** Drains the DLQ (deleting what it reads). */
export async function receiveDeadLetters(h: Harness): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const page = await h.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.resources.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (!page.Messages?.length) return out;
    for (const m of page.Messages) {
      out.push(m);
      await h.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: h.resources.dlqUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

/** The in-memory fold of the core over the same changes: what the table must hold. */
export function foldChanges(changes: readonly SlotChange[]): Map<string, VersionRecord> {
  const out = new Map<string, VersionRecord>();
  for (const change of changes) {
    const id = `${change.key}\u0000${change.versionId}`;
    out.set(id, applyChange(out.get(id), change));
  }
  return out;
}

export { changeFor };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
