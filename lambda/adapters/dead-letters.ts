import { ChangeMessageVisibilityBatchCommand, type SQSClient, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * The dead-letter queue, and the message visibility the drain backs off with (lambda/drain/drain.ts).
 *
 * Sizes: SQS accepts messages of up to 1 MiB (1,048,576 bytes, raised from 256 KiB in 2025:
 * https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb),
 * and the limit counts the body plus every attribute's name, type and value. A dead letter carries the original
 * body unchanged (so it can be redriven) and the reason as an attribute. The main queue accepts at most
 * `SQS_MAX_MESSAGE_BYTES - DEAD_LETTER_RESERVE_BYTES` (lib/defaults.ts), so whatever body it took leaves room
 * for the reason; the reason is cut to the room left, at code point boundaries, with the cut stated.
 */

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

export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/** Room kept for the dead letter's attributes: the main queue's MaximumMessageSize is this much smaller. */
export const DEAD_LETTER_RESERVE_BYTES = 8_192;
/** A reason is never longer than this, whatever room there is (it is read by people, in a console). */
const MAX_REASON_BYTES = 4_096;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * SQS accepts only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF in bodies and string attributes;
 * anything else in a reason (control characters of a hostile key, a lone surrogate) is written as \u{…}.
 */
function sqsSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    out += ok ? ch : `\\u{${cp.toString(16)}}`;
  }
  return out;
}

/** `reason` made SQS-safe and cut to at most `budget` UTF-8 bytes at a code point boundary, saying what was cut. */
export function fitReason(reason: string, budget: number): string {
  const safe = sqsSafe(reason);
  const bytes = utf8(safe);
  if (bytes <= budget) return safe;
  const marker = (cut: number) => ` … (${cut} more bytes cut)`;
  const room = budget - utf8(marker(bytes));
  if (room <= 0) return '…'.slice(0, budget > 2 ? 1 : 0);
  let used = 0;
  let kept = '';
  for (const ch of safe) {
    const size = utf8(ch);
    if (used + size > room) break;
    kept += ch;
    used += size;
  }
  return kept + marker(bytes - used);
}

const attributeBytes = (name: string, value: MessageAttributeValue) =>
  utf8(name) + utf8(value.DataType ?? '') + utf8(value.StringValue ?? '');

export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly maxMessageBytes = SQS_MAX_MESSAGE_BYTES,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    const body = letter.body === '' ? '(empty body)' : letter.body;
    const attributes: Record<string, MessageAttributeValue> = {
      originalMessageId: { DataType: 'String', StringValue: letter.messageId },
      ...(letter.source ? { sourceQueue: { DataType: 'String', StringValue: letter.source } } : {}),
    };
    let used = utf8(body) + utf8('reason') + utf8('String');
    for (const [name, value] of Object.entries(attributes)) used += attributeBytes(name, value);
    const budget = Math.min(MAX_REASON_BYTES, this.maxMessageBytes - used);
    if (budget < 32) {
      // Only a queue configured larger than lib/ makes it can get here; the message is retried, never silently dropped.
      throw new Error(
        `dead letter for ${letter.messageId} has no room for its reason (${used} bytes without it); reason: ${fitReason(letter.reason, 2048)}`,
      );
    }
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: fitReason(letter.reason, budget) }, ...attributes },
      }),
    );
  }
}

/** Delays the next delivery of messages the drain could not store (back-off during an outage). */
export interface MessageVisibility {
  delay(messages: readonly { readonly receiptHandle: string; readonly seconds: number }[]): Promise<void>;
}

export class SqsMessageVisibility implements MessageVisibility {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async delay(messages: readonly { readonly receiptHandle: string; readonly seconds: number }[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const out = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle, VisibilityTimeout: Math.round(m.seconds) })),
        }),
      );
      if (out.Failed?.length)
        throw new Error(`ChangeMessageVisibilityBatch failed for ${out.Failed.length} message(s): ${out.Failed[0].Message}`);
    }
  }
}
