import { type Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DIMENSION_DEST_BUCKET, DIMENSION_SOURCE_BUCKET, METRIC, METRICS_NAMESPACE, type MetricName } from '../../lambda/core/metric-names';

export interface Pair {
  readonly source: string;
  readonly destination: string;
}

/** A CRRMonitor metric of one bucket pair. */
export function pairMetric(pair: Pair, name: MetricName, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [DIMENSION_SOURCE_BUCKET]: pair.source, [DIMENSION_DEST_BUCKET]: pair.destination },
    statistic,
    period,
    label,
  });
}

/** A CRRMonitor metric of one source bucket (UntrackedWrites: its only dimension is SourceBucket). */
export function sourceMetric(source: string, name: MetricName, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [DIMENSION_SOURCE_BUCKET]: source },
    statistic,
    period,
    label,
  });
}

export { METRIC };
