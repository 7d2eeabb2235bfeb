/**
 * Where decided outcomes go: the `OutcomeSink` port, the metric data one outcome stands for, and the cloud
 * implementation as CloudWatch Embedded Metric Format through Powertools Metrics (one JSON line on stdout per
 * outcome; CloudWatch Logs turns it into metrics — no PutMetricData, no cloudwatch grant).
 *
 * `publish` is synchronous on purpose: the drain calls it right after the deciding write's response, with no await
 * in between, so that a function that is still running after its write has also published (see exactly-once in
 * lambda/drain/drain.ts). The recording implementation for tests and the local harness is in test/support/.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Outcome } from '../core/outcomes';
import {
  DIMENSION_DEST_BUCKET,
  DIMENSION_SOURCE_BUCKET,
  METRIC,
  METRICS_NAMESPACE,
  METRIC_UNIT,
  type MetricName,
} from '../core/metric-names';

/** Where an outcome came from: the SQS message whose event decided it (for tracing and the outcome-lag benchmark). */
export interface OutcomeOrigin {
  readonly messageId: string;
}

export interface OutcomeSink {
  publish(outcomes: readonly Outcome[], origin?: OutcomeOrigin): void;
}

/** One metric value an outcome publishes. `destination` is absent for per-source metrics (UntrackedWrites). */
export interface OutcomeDatum {
  readonly metric: MetricName;
  readonly source: string;
  readonly destination?: string;
  readonly unit: (typeof METRIC_UNIT)[MetricName];
  readonly value: number;
}

/**
 * The metric values of one outcome, as the README's table defines them: a completion counts one object and its
 * bytes, and adds its latency and speed (bytes per second of latency) when it has a latency; a late latency adds
 * only latency and speed; a failure counts one; an untracked write counts one for its source; a metadata failure of a
 * completed version, a delete marker that failed and a source version deleted before it replicated count one each.
 */
export function datumsOf(outcome: Outcome): OutcomeDatum[] {
  const pair = { source: outcome.source, ...(outcome.destination !== undefined ? { destination: outcome.destination } : {}) };
  const datum = (metric: MetricName, value: number): OutcomeDatum => ({ metric, ...pair, unit: METRIC_UNIT[metric], value });
  const timing = (): OutcomeDatum[] => {
    const latency = outcome.latencySeconds;
    if (latency === null) return [];
    const out = [datum(METRIC.ReplicationLatency, latency)];
    if (latency > 0 && outcome.bytes > 0) out.push(datum(METRIC.ReplicationSpeed, Math.round(outcome.bytes / latency)));
    return out;
  };
  switch (outcome.kind) {
    case 'completed':
      return [datum(METRIC.ReplicationObjects, 1), datum(METRIC.ReplicationBytes, outcome.bytes), ...timing()];
    case 'latency':
      return timing();
    case 'failed':
      return [datum(METRIC.FailedReplications, 1)];
    case 'untracked':
      return [datum(METRIC.UntrackedWrites, 1)];
    case 'metadataFailed':
      return [datum(METRIC.MetadataReplicationFailures, 1)];
    case 'deleteMarkerFailed':
      return [datum(METRIC.DeleteMarkerReplicationFailures, 1)];
    case 'sourceDeleted':
      return [datum(METRIC.SourceVersionsDeleted, 1)];
  }
}

const UNITS: Record<OutcomeDatum['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Bytes: MetricUnit.Bytes,
  Seconds: MetricUnit.Seconds,
  'Bytes/Second': MetricUnit.BytesPerSecond,
};

/** Powertools Metrics, one EMF document per outcome (its dimensions are the outcome's pair). */
export class EmfOutcomeSink implements OutcomeSink {
  private readonly metrics: Metrics;

  constructor(metrics?: Metrics) {
    this.metrics = metrics ?? new Metrics({ namespace: METRICS_NAMESPACE });
    // Powertools adds a `service` dimension by default; the alarms and dashboard use SourceBucket/DestBucket only.
    this.metrics.clearDefaultDimensions();
  }

  publish(outcomes: readonly Outcome[], origin?: OutcomeOrigin): void {
    for (const outcome of outcomes) {
      const datums = datumsOf(outcome);
      if (datums.length === 0) continue;
      this.metrics.addDimensions({
        [DIMENSION_SOURCE_BUCKET]: outcome.source,
        ...(outcome.kind !== 'untracked' && outcome.destination !== undefined ? { [DIMENSION_DEST_BUCKET]: outcome.destination } : {}),
      });
      for (const d of datums) this.metrics.addMetric(d.metric, UNITS[d.unit], d.value);
      // Metadata is searchable in the log line but is not a dimension (no cost, no cardinality).
      this.metrics.addMetadata('key', outcome.key);
      this.metrics.addMetadata('versionId', outcome.versionId);
      if (outcome.failureReason !== undefined) this.metrics.addMetadata('failureReason', outcome.failureReason);
      if (outcome.failureClass !== undefined) this.metrics.addMetadata('failureClass', outcome.failureClass);
      if (origin) this.metrics.addMetadata('messageId', origin.messageId);
      this.metrics.publishStoredMetrics();
    }
  }
}
