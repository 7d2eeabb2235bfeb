import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from './clients';

/**
 * What Lambda's SQS event source mapping does, locally: receive up to 10 messages, hand them to the handler as
 * an SQS event, delete the ones not in `batchItemFailures` with one DeleteMessageBatch. Failed messages stay
 * invisible until the queue's visibility timeout and then come back (after maxReceiveCount, redrive moves them).
 */
export interface EventSourceOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize?: number;
  /** Long-poll wait per receive, seconds. */
  readonly waitSeconds?: number;
}

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface PollResult {
  readonly received: number;
  readonly failed: number;
}

export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

export class LocalEventSource {
  constructor(
    private readonly sqs: SQSClient,
    private readonly handler: BatchHandler,
    private readonly options: EventSourceOptions,
  ) {}

  /** One receive → invoke → delete round. */
  async pollOnce(): Promise<PollResult> {
    const { queueUrl, queueArn } = this.options;
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? 10,
        WaitTimeSeconds: this.options.waitSeconds ?? 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return { received: 0, failed: 0 };
    const records = messages.map((m) => toSqsRecord(m, queueArn));
    const response = await this.handler({ Records: records });
    const failed = new Set((response.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length) {
      const result = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      if (result.Failed?.length)
        throw new Error(`DeleteMessageBatch failed for ${result.Failed.length} message(s): ${result.Failed[0].Message}`);
    }
    return { received: messages.length, failed: failed.size };
  }

  /**
   * Runs `workers` concurrent pollers until the queue has given nothing for `idleRounds` consecutive receives
   * per worker, or `until()` says stop. Returns totals.
   */
  async run(options: { workers?: number; idleRounds?: number; until?: () => boolean } = {}): Promise<{ received: number; failed: number }> {
    const totals = { received: 0, failed: 0 };
    const idleRounds = options.idleRounds ?? 2;
    const worker = async () => {
      let idle = 0;
      while (idle < idleRounds && !options.until?.()) {
        const result = await this.pollOnce();
        totals.received += result.received;
        totals.failed += result.failed;
        idle = result.received === 0 ? idle + 1 : 0;
      }
    };
    await Promise.all(Array.from({ length: options.workers ?? 1 }, worker));
    return totals;
  }
}
