import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC, pairMetric, sourceMetric, type Pair } from './monitor-metrics';

export interface MonitorDashboardProps {
  readonly pairs: readonly Pair[];
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly drain: lambda.IFunction;
  readonly sweep: lambda.IFunction;
}

/**
 * One CloudWatch dashboard: per pair, objects and bytes replicated, latency p50/p99, failures and overdue versions,
 * metadata and delete-marker failures and source versions deleted before they replicated;
 * then the pipeline's health: queue depth and age, DLQ depth, drain errors/throttles/duration.
 */
export class MonitorDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitorDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
    });
    const each = (name: (typeof METRIC)[keyof typeof METRIC], stat: string, suffix = '') =>
      props.pairs.map((p) => pairMetric(p, name, stat, period, `${p.source} → ${p.destination}${suffix}`));

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: '# S3 replication (crr-monitor)\nPer bucket pair, from CloudTrail data events. Alarms notify **CRRMonitorMetricsTopic**.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Objects replicated (per 5 min)', left: each(METRIC.ReplicationObjects, 'Sum'), width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Bytes replicated (per 5 min)', left: each(METRIC.ReplicationBytes, 'Sum'), width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Replication latency p50 / p99 (seconds)',
        left: [...each(METRIC.ReplicationLatency, 'p50', ' p50'), ...each(METRIC.ReplicationLatency, 'p99', ' p99')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Replication speed (bytes per second of latency, average)',
        left: each(METRIC.ReplicationSpeed, 'Average'),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Failed replications', left: each(METRIC.FailedReplications, 'Sum'), width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Overdue replications', left: each(METRIC.OverdueReplications, 'Maximum'), width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Metadata replication failures (ACL, tags, Object Lock of replicas)',
        left: each(METRIC.MetadataReplicationFailures, 'Sum'),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Delete-marker replication failures',
        left: each(METRIC.DeleteMarkerReplicationFailures, 'Sum'),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Source versions deleted before they replicated (no alarm)',
        left: each(METRIC.SourceVersionsDeleted, 'Sum'),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Untracked writes (no replication rule covers them)',
        left: [...new Set(props.pairs.map((p) => p.source))].sort().map((s) => sourceMetric(s, METRIC.UntrackedWrites, 'Sum', period, s)),
        width: 24,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'CRRMonitorQueue depth',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'visible' }),
          props.queue.metricApproximateNumberOfMessagesNotVisible({ period, statistic: 'Maximum', label: 'in flight' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'dead-letter' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'CRRMonitorQueue oldest message age (s)',
        left: [props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Handlers',
        left: [
          props.drain.metricErrors({ period, label: 'drain errors' }),
          props.drain.metricThrottles({ period, label: 'drain throttles' }),
          props.sweep.metricErrors({ period, label: 'sweep errors' }),
        ],
        right: [props.drain.metricDuration({ period, statistic: 'p99', label: 'drain duration p99 (ms)' })],
        width: 8,
      }),
    );
  }
}
