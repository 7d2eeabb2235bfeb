import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';

export interface ArchiveSink {
  /** Delivers every line (each one JSON object, newline-terminated by the sink) or throws. */
  put(lines: readonly string[]): Promise<void>;
}

/** PutRecordBatch: at most 500 records and 4 MiB per call. */
const MAX_RECORDS_PER_BATCH = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export class FirehoseArchiveSink implements ArchiveSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly streamName: string,
    private readonly options: { attempts?: number; backoffMillis?: number } = {},
  ) {}

  async put(lines: readonly string[]): Promise<void> {
    let batch: Uint8Array[] = [];
    let size = 0;
    for (const line of lines) {
      const data = Buffer.from(line.endsWith('\n') ? line : line + '\n', 'utf8');
      if (batch.length === MAX_RECORDS_PER_BATCH || size + data.length > MAX_BATCH_BYTES) {
        await this.send(batch);
        batch = [];
        size = 0;
      }
      batch.push(data);
      size += data.length;
    }
    if (batch.length) await this.send(batch);
  }

  /** Sends a batch, then resends only the entries Firehose reports as failed, with backoff. */
  private async send(records: Uint8Array[]): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    let remaining = records;
    for (let attempt = 1; ; attempt++) {
      const result = await this.client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: this.streamName, Records: remaining.map((Data) => ({ Data })) }),
      );
      if (!result.FailedPutCount) return;
      const failed = remaining.filter((_, i) => result.RequestResponses?.[i]?.ErrorCode);
      if (attempt >= attempts) {
        const code = result.RequestResponses?.find((r) => r.ErrorCode)?.ErrorCode;
        throw new Error(`Firehose rejected ${failed.length} record(s) after ${attempts} attempts (${code})`);
      }
      remaining = failed;
      await new Promise((resolve) => setTimeout(resolve, (this.options.backoffMillis ?? 200) * 2 ** (attempt - 1)));
    }
  }
}
