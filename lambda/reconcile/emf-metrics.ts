/**
 * The reconcile's metrics as CloudWatch Embedded Metric Format (Powertools Metrics), one EMF line per pair: no
 * PutMetricData call and no cloudwatch grant. Names, units and dimensions are lambda/core/metric-names.ts'.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PairCounts } from '../../engines/reconcile/query';
import { DIMENSION_DEST_BUCKET, DIMENSION_SOURCE_BUCKET, METRIC } from '../core/metric-names';
import type { ReconcileMetrics } from './reconcile';

/** A pair's counts as the four reconcile metrics. */
function reconcileMetricValues(c: PairCounts): [string, number][] {
  return [
    [METRIC.MissingReplicas, c.failed + c.overdue + c.completedButMissing],
    [METRIC.ReplicaSizeMismatches, c.sizeMismatch],
    [METRIC.OrphanReplicaVersions, c.orphanReplicas],
    [METRIC.UnreplicatedVersions, c.notReplicated],
  ];
}

export class EmfReconcileMetrics implements ReconcileMetrics {
  constructor(
    private readonly namespace: string,
    private readonly serviceName = 'crr-monitor-reconcile',
  ) {}

  publish(counts: readonly PairCounts[]): void {
    for (const c of counts) {
      const metrics = new Metrics({ namespace: this.namespace, serviceName: this.serviceName });
      // Exactly the dimensions the alarms name (no Powertools `service` dimension).
      metrics.clearDefaultDimensions();
      metrics.addDimensions({ [DIMENSION_SOURCE_BUCKET]: c.source, [DIMENSION_DEST_BUCKET]: c.destination });
      for (const [name, value] of reconcileMetricValues(c)) metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    }
  }
}
