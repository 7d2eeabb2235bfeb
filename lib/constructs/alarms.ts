import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { failureHint } from '../../lambda/core/failures';
import { DEFAULTS } from '../defaults';
import { METRIC, pairMetric, sourceMetric, type Pair } from './monitor-metrics';

/**
 * Fix hints in the failure alarms' descriptions (what an operator reads in the notification), from the S3 docs' table
 * of replication failure reasons as lambda/core/failures.ts keeps it; the version's own reason is the `failureReason`
 * of its EMF line in the drain's or the sweep's log group, and `crr-monitor status` lists it with its hint.
 */
const hints = (reasons: readonly string[]) => reasons.map((r) => `${r}: ${failureHint(r)}.`).join(' ');
const FAILED_HINT =
  "Most common reasons and fixes (every version's reason: crr-monitor status, or the failureReason in the drain log): " +
  hints(['DstPutObjectNotPermitted', 'SrcGetObjectNotPermitted', 'DstKmsKeyNotFound']) +
  ' Batch Replication (crr-monitor redrive --state failed) retries them once fixed.';
const METADATA_HINT =
  hints(['DstPutTaggingNotPermitted', 'DstPutRetentionNotPermitted', 'DstPutLegalHoldNotPermitted']) +
  ' The replica itself is there; crr-monitor redrive --state failed lists the versions.';
const DELETE_MARKER_HINT = hints(['DstDelObjNotPermitted']);

export interface MonitorAlarmsProps {
  readonly pairs: readonly Pair[];
  readonly topic: sns.ITopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly queue: sqs.IQueue;
  readonly drain: lambda.IFunction;
  readonly sweep: lambda.IFunction;
  /** The queue is behind when its oldest message is older than this. */
  readonly queueAgeThreshold?: Duration;
}

/**
 * The alarms, all notifying CRRMonitorMetricsTopic (on ALARM and on OK).
 *
 * Periods: the sweep publishes one datapoint per closed minute, minutes after that minute (a minute closes when
 * its writes are final or past the overdue threshold), so alarms use 5-minute periods and look back three of them,
 * firing on one breaching period. A 60-second period — what the original CRR Monitor used — evaluates minutes
 * before their datapoints exist, and rarely fires.
 *
 * treatMissingData: the CRRMonitor metrics and the Lambda/SQS metrics are only published when something happens;
 * no datapoint means no failure, so missing data is NOT_BREACHING — except for the sweep heartbeat, where a
 * missing Invocations datapoint means the sweep is not running, which is BREACHING.
 */
export class MonitorAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitorAlarmsProps) {
    super(scope, id);
    const { period, evaluationPeriods, datapointsToAlarm } = DEFAULTS.alarms;
    const action = new actions.SnsAction(props.topic);
    const add = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      opts: Partial<cloudwatch.CreateAlarmOptions> & { alarmDescription: string },
    ) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...opts,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    for (const pair of props.pairs) {
      const label = `${pair.source} -> ${pair.destination}`;
      const id = `${pair.source}-to-${pair.destination}`;
      add(`Failed-${id}`, pairMetric(pair, METRIC.FailedReplications, 'Sum', period), {
        alarmDescription: `S3 replication FAILED for at least one object version, ${label} (crr-monitor). ${FAILED_HINT}`,
      });
      add(`MetadataFailed-${id}`, pairMetric(pair, METRIC.MetadataReplicationFailures, 'Sum', period), {
        alarmDescription: `Replicas whose ACL, tags or Object Lock settings did not replicate, ${label} (crr-monitor). ${METADATA_HINT}`,
      });
      add(`DeleteMarkerFailed-${id}`, pairMetric(pair, METRIC.DeleteMarkerReplicationFailures, 'Sum', period), {
        alarmDescription: `Delete markers that did not replicate, ${label} (crr-monitor). ${DELETE_MARKER_HINT}`,
      });
      // SourceVersionsDeleted has no alarm: a version deleted before it replicated is nothing to fix (dashboard only).
      add(`Overdue-${id}`, pairMetric(pair, METRIC.OverdueReplications, 'Maximum', period), {
        alarmDescription: `Object versions pending replication past the overdue threshold, ${label} (crr-monitor)`,
      });
    }

    // A source version no enabled rule covers (filter gap, rule disabled or deleted): noticed within overdueMinutes.
    for (const source of [...new Set(props.pairs.map((p) => p.source))].sort()) {
      add(`Untracked-${source}`, sourceMetric(source, METRIC.UntrackedWrites, 'Sum', period), {
        alarmDescription: `Writes to ${source} that no enabled replication rule covers (no x-amz-replication-status) (crr-monitor)`,
      });
    }

    add('DeadLetterQueueNotEmpty', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), {
      alarmDescription: 'crr-monitor messages could not be processed and are in the dead-letter queue: events are waiting, not lost',
      evaluationPeriods: 1,
    });
    add('QueueBehind', props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }), {
      alarmDescription: 'CRRMonitorQueue is falling behind: its oldest message is older than the threshold',
      threshold: (props.queueAgeThreshold ?? Duration.minutes(10)).toSeconds(),
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    add('DrainErrors', props.drain.metricErrors({ period, statistic: 'Sum' }), {
      alarmDescription: 'The crr-monitor drain handler failed (whole-batch errors; messages are retried, then dead-lettered)',
    });
    add('DrainThrottles', props.drain.metricThrottles({ period, statistic: 'Sum' }), {
      alarmDescription: 'The crr-monitor drain handler was throttled (account concurrency exhausted)',
    });
    add('SweepErrors', props.sweep.metricErrors({ period, statistic: 'Sum' }), {
      alarmDescription: 'The crr-monitor sweep failed: overdue detection and metrics are stale',
    });
    add('SweepNotRunning', props.sweep.metricInvocations({ period, statistic: 'Sum' }), {
      alarmDescription: 'The crr-monitor sweep has not run for 15 minutes (scheduled every minute)',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}
