/** lambda/adapters/dead-letters.ts: the reason survives any body the queue accepts, cut at code points; back-off batches. */
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import {
  DEAD_LETTER_RESERVE_BYTES,
  SQS_MAX_MESSAGE_BYTES,
  SqsDeadLetters,
  SqsMessageVisibility,
  fitReason,
} from '../../../lambda/adapters/dead-letters';
import { backoffSeconds } from '../../../lambda/drain/drain';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('fitReason', () => {
  test('fits the budget, cut only at code point boundaries, and says how much was cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 40, max: 600 }), (reason, budget) => {
        const fitted = fitReason(reason, budget);
        expect(bytes(fitted)).toBeLessThanOrEqual(budget);
        // No lone surrogate is ever produced: the text round-trips through UTF-8 unchanged.
        expect(Buffer.from(fitted, 'utf8').toString('utf8')).toBe(fitted);
        if (fitted.endsWith('bytes cut)')) expect(fitted).toMatch(/ … \(\d+ more bytes cut\)$/);
      }),
      { numRuns: 500 },
    );
    expect(fitReason('😀'.repeat(100), 60)).toMatch(/^(😀)+ … \(\d+ more bytes cut\)$/);
  });
  test('characters SQS refuses are escaped (control characters, lone surrogates)', () => {
    expect(fitReason('key \u001b[2J\u0000 \ud800 ok\t\n', 200)).toBe('key \\u{1b}[2J\\u{0} \\u{d800} ok\t\n');
  });
});

describe('SqsDeadLetters', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  test('a body as large as the main queue accepts keeps the original body and a reason, within SQS 1 MiB', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const body = 'é'.repeat((SQS_MAX_MESSAGE_BYTES - DEAD_LETTER_RESERVE_BYTES) / 2);
    await new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'https://q/dlq').send({
      body,
      reason: 'Message: not valid JSON ' + 'ü'.repeat(20_000),
      messageId: 'm-1',
      source: 'arn:aws:sqs:us-east-1:1:q',
    });
    const input = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(input.MessageBody).toBe(body);
    const reason = input.MessageAttributes!.reason.StringValue!;
    expect(reason).toMatch(/^Message: not valid JSON ü+ … \(\d+ more bytes cut\)$/);
    let total = bytes(input.MessageBody!);
    for (const [name, value] of Object.entries(input.MessageAttributes!))
      total += bytes(name) + bytes(value.DataType!) + bytes(value.StringValue!);
    expect(total).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  test('a body so large no reason fits (a queue larger than lib/ configures) is refused loudly, never sent without it', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const letters = new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'https://q/dlq');
    await expect(letters.send({ body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES), reason: 'why', messageId: 'm' })).rejects.toThrow(
      /no room for its reason.*why/,
    );
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('back-off', () => {
  test('60 s doubling to 15 min; 12 deliveries cover more than an hour of outage', () => {
    expect([1, 2, 3, 4, 5, 6, 30].map(backoffSeconds)).toEqual([60, 120, 240, 480, 900, 900, 900]);
    const window = Array.from({ length: 11 }, (_, i) => backoffSeconds(i + 1)).reduce((a, b) => a + b, 0);
    expect(window).toBeGreaterThanOrEqual(2 * 3600);
  });
  test('ChangeMessageVisibilityBatch, 10 entries per call', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsMessageVisibility(new SQSClient({ region: 'us-east-1' }), 'https://q/main').delay(
      Array.from({ length: 23 }, (_, i) => ({ receiptHandle: `rh${i}`, seconds: 60 })),
    );
    const calls = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls[2].Entries![2]).toEqual({ Id: '2', ReceiptHandle: 'rh22', VisibilityTimeout: 60 });
    sqs.restore();
  });
});
