import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

/** A message the drain cannot use, sent on to the dead-letter queue with why. */
export interface DeadLetter {
  readonly body: string;
  readonly reason: string;
  readonly messageId: string;
  /** The queue the message came from (event source ARN). */
  readonly source?: string;
}

export interface DeadLetters {
  send(letter: DeadLetter): Promise<void>;
}

/** SQS attribute values are limited to 256 KiB in total with the body; keep the reason short. */
const MAX_REASON = 1000;

export class SqsDeadLetters implements DeadLetters {
  constructor(private readonly client: SQSClient, private readonly queueUrl: string) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: letter.body === '' ? '(empty body)' : letter.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: letter.reason.slice(0, MAX_REASON) },
          originalMessageId: { DataType: 'String', StringValue: letter.messageId },
          ...(letter.source ? { sourceQueue: { DataType: 'String', StringValue: letter.source } } : {}),
        },
      }),
    );
  }
}
