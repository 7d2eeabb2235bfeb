import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';

export type { MetricDatum };

/** Where the sweep's metrics go: CloudWatch in the cloud, a recorder in tests and the demo. */
export interface MetricsSink {
  put(namespace: string, data: readonly MetricDatum[]): Promise<void>;
}

/** PutMetricData takes at most 1,000 metrics per request (and 1 MB); 150 values per datum. */
export const MAX_METRICS_PER_REQUEST = 1000;
export const MAX_VALUES_PER_DATUM = 150;

export class CloudWatchMetricsSink implements MetricsSink {
  constructor(private readonly client: CloudWatchClient, private readonly batchSize = MAX_METRICS_PER_REQUEST) {}

  async put(namespace: string, data: readonly MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += this.batchSize) {
      await this.client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + this.batchSize) }));
    }
  }
}

/** Keeps every PutMetricData it is given (the demo prints them; tests assert on them). */
export class RecordingMetricsSink implements MetricsSink {
  readonly requests: { namespace: string; data: MetricDatum[] }[] = [];

  async put(namespace: string, data: readonly MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += MAX_METRICS_PER_REQUEST) {
      this.requests.push({ namespace, data: data.slice(i, i + MAX_METRICS_PER_REQUEST) });
    }
  }

  get data(): MetricDatum[] {
    return this.requests.flatMap((r) => r.data);
  }
}
