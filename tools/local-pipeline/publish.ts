/**
 * Step "publish": what EventBridge → the regional forwarder topics do, on the emulators. Each input becomes
 * one SNS message (a CloudTrail log file larger than SNS allows is split into smaller `Records` files), sent
 * to the topic of the region the event names, in batches of 10 by a few concurrent publishers.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';

export const MONITORED_REGIONS = ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'us-west-2'];
/** SNS takes at most 256 KiB per message; leave room for the envelope. */
const MAX_MESSAGE_BYTES = 240 * 1024;
const PUBLISHERS = 4;

/** The message(s) to publish for one input unit: whole, or a CloudTrail log file split into smaller `Records` files. */
export function messagesOf(text: string): string[] {
  if (Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return [text];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const records = (doc as { Records?: unknown[] })?.Records;
  if (!Array.isArray(records)) return [];
  const out: string[] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const record of records) {
    const part = JSON.stringify(record);
    if (chunk.length && size + part.length > MAX_MESSAGE_BYTES - 100) {
      out.push(`{"Records":[${chunk.join(',')}]}`);
      chunk = [];
      size = 0;
    }
    chunk.push(part);
    size += part.length + 1;
  }
  if (chunk.length) out.push(`{"Records":[${chunk.join(',')}]}`);
  return out;
}

/** The region whose forwarder topic would carry an event (EventBridge region, or the record's awsRegion). */
function regionOf(text: string): string {
  const match = /"(?:region|awsRegion)"\s*:\s*"([a-z0-9-]+)"/.exec(text);
  return match && MONITORED_REGIONS.includes(match[1]) ? match[1] : 'us-east-1';
}

/** Publishes every message to its region's forwarder topic; throws on the first failed entry. */
export async function publish(sns: SNSClient, topicArns: Record<string, string>, messages: readonly string[]): Promise<void> {
  const byRegion = new Map<string, string[]>();
  for (const m of messages) {
    const region = regionOf(m);
    const list = byRegion.get(region);
    if (list) list.push(m);
    else byRegion.set(region, [m]);
  }
  const batches: { region: string; entries: string[] }[] = [];
  for (const [region, list] of byRegion) for (let i = 0; i < list.length; i += 10) batches.push({ region, entries: list.slice(i, i + 10) });
  let next = 0;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (next < batches.length) {
        const { region, entries } = batches[next++];
        const out = await sns.send(
          new PublishBatchCommand({
            TopicArn: topicArns[region],
            PublishBatchRequestEntries: entries.map((Message, i) => ({ Id: String(i), Message })),
          }),
        );
        if (out.Failed?.length) throw new Error(`PublishBatch failed: ${out.Failed[0].Message}`);
      }
    }),
  );
}
