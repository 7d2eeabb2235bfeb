/**
 * The sweep's metrics as CloudWatch Embedded Metric Format (Powertools Metrics): one EMF line per pair and flush, no
 * PutMetricData call and no cloudwatch grant. Names, units and dimensions are lambda/core/metric-names.ts'.
 * (The drain's OutcomeSink publishes the same outcomes the same way; reconcile the two into one adapter on merge.)
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Outcome } from '../core/outcomes';
import { DIMENSION_DEST_BUCKET, DIMENSION_SOURCE_BUCKET, METRIC, METRIC_UNIT, type MetricName } from '../core/metric-names';
import type { SweepMetrics } from './sweep';

const UNIT: Record<string, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Bytes: MetricUnit.Bytes,
  Seconds: MetricUnit.Seconds,
  'Bytes/Second': MetricUnit.BytesPerSecond,
};

export class EmfSweepMetrics implements SweepMetrics {
  constructor(
    private readonly namespace: string,
    private readonly serviceName = 'crr-monitor-sweep',
  ) {}

  private emit(dimensions: Record<string, string>, data: readonly [MetricName, number][]): void {
    if (data.length === 0) return;
    const metrics = new Metrics({ namespace: this.namespace, serviceName: this.serviceName });
    // Exactly the dimensions the alarms and the dashboard name: Powertools' default `service` dimension would make
    // every datum a different CloudWatch metric than the one they watch.
    metrics.clearDefaultDimensions();
    metrics.addDimensions(dimensions);
    for (const [name, value] of data) metrics.addMetric(name, UNIT[METRIC_UNIT[name]], value);
    metrics.publishStoredMetrics();
  }

  outcomes(outcomes: readonly Outcome[]): void {
    for (const o of outcomes) {
      if (o.kind === 'untracked') {
        this.emit({ [DIMENSION_SOURCE_BUCKET]: o.source }, [[METRIC.UntrackedWrites, 1]]);
        continue;
      }
      const data: [MetricName, number][] = [];
      if (o.kind === 'completed') data.push([METRIC.ReplicationObjects, 1], [METRIC.ReplicationBytes, o.bytes]);
      if (o.kind === 'failed') data.push([METRIC.FailedReplications, 1]);
      if (o.kind === 'metadataFailed') data.push([METRIC.MetadataReplicationFailures, 1]);
      if (o.kind === 'deleteMarkerFailed') data.push([METRIC.DeleteMarkerReplicationFailures, 1]);
      if (o.kind === 'sourceDeleted') data.push([METRIC.SourceVersionsDeleted, 1]);
      if ((o.kind === 'completed' || o.kind === 'latency') && o.latencySeconds !== null) {
        data.push([METRIC.ReplicationLatency, o.latencySeconds]);
        if (o.latencySeconds > 0 && o.bytes > 0) data.push([METRIC.ReplicationSpeed, Math.round(o.bytes / o.latencySeconds)]);
      }
      this.emit({ [DIMENSION_SOURCE_BUCKET]: o.source, [DIMENSION_DEST_BUCKET]: o.destination! }, data);
    }
  }

  overdue(counts: readonly { source: string; destination: string; count: number }[]): void {
    for (const c of counts) {
      this.emit({ [DIMENSION_SOURCE_BUCKET]: c.source, [DIMENSION_DEST_BUCKET]: c.destination }, [[METRIC.OverdueReplications, c.count]]);
    }
  }
}
