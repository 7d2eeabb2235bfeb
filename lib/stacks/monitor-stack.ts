import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import {
  localBuckets,
  partitionOf,
  remoteSourceBuckets,
  replicationPairs,
  sourceAccounts,
  type MonitorConfig,
} from '../../lambda/shared/config';
import { METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import { DEFAULTS } from '../defaults';
import { ENV, type HandlerConfig } from '../../lambda/shared/contract';
import { agentRoleName, drainRoleName, redriveRoleName, roleArn, sweepRoleName } from '../names';
import { AlarmTopic } from '../constructs/alarm-topic';
import { MonitorAlarms } from '../constructs/alarms';
import { Archive } from '../constructs/archive';
import { MonitorDashboard } from '../constructs/dashboard';
import { Intake } from '../constructs/intake';
import { Processing } from '../constructs/processing';
import { Reconcile } from '../constructs/reconcile';
import { ReplicationStore } from '../constructs/store';
import { WriteDataTrail } from '../constructs/trail';

export interface MonitorStackProps extends StackProps {
  readonly config: MonitorConfig;
}

/** What the handlers get in CONFIG_JSON. */
export function handlerConfig(config: MonitorConfig): HandlerConfig {
  const partition = partitionOf(config.monitorRegion);
  const agentRoles: Record<string, string> = {};
  for (const rule of config.replication) {
    if (rule.sourceAccount) agentRoles[rule.source] = roleArn(partition, rule.sourceAccount, agentRoleName(config.monitorRegion));
  }
  return {
    pairs: replicationPairs(config),
    retentionHours: config.retentionHours,
    overdueMinutes: config.overdueMinutes,
    agentRoles,
  };
}

/**
 * The monitor, in the account that holds the destination buckets: trail, queue, table, handlers, alarm topic,
 * alarms, dashboard and (optionally) the archive and the S3 Inventory reconcile.
 */
export class MonitorStack extends Stack {
  readonly trail?: WriteDataTrail;
  readonly intake: Intake;
  readonly store: ReplicationStore;
  readonly processing: Processing;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: MonitorAlarms;
  readonly dashboard: MonitorDashboard;
  readonly archive?: Archive;
  readonly reconcile?: Reconcile;

  constructor(scope: Construct, id: string, props: MonitorStackProps) {
    super(scope, id, {
      description: 'crr-monitor: S3 replication monitor (trail, queue, table, handlers, alarms, dashboard)',
      ...props,
    });
    const { config } = props;
    const pairs = replicationPairs(config);
    const remoteAccountsWithSources = sourceAccounts(config);

    // Only the cloudtrail intake reads a trail; the others hear from S3 itself.
    if (config.intake === 'cloudtrail' && !config.existingTrailArn) {
      this.trail = new WriteDataTrail(this, 'Trail', {
        buckets: localBuckets(config),
        logExpirationDays: config.trailLogExpirationDays,
      });
    }

    const drainWindow = DEFAULTS.drain.maxBatchingWindow.toSeconds();
    this.intake = new Intake(this, 'Intake', {
      intake: config.intake,
      forwarderRegions: config.regions,
      remoteAccounts: config.remoteAccounts,
      remoteSourceBuckets: remoteAccountsWithSources.flatMap((a) => remoteSourceBuckets(config, a)),
      // AWS's guidance for SQS event sources: at least six times the function timeout (plus the batching window).
      visibilityTimeout: Duration.seconds(6 * DEFAULTS.drain.timeout.toSeconds() + drainWindow),
      redriveRoleName: redriveRoleName(config.monitorRegion),
    });

    this.store = new ReplicationStore(this, 'Store', { stream: config.archiveToS3 });

    const handlerConfigJson = JSON.stringify(handlerConfig(config));
    const agentRoleArns = [...new Set(Object.values(handlerConfig(config).agentRoles))].sort();
    this.processing = new Processing(this, 'Processing', {
      table: this.store.table,
      queue: this.intake.queue,
      deadLetterQueue: this.intake.deadLetterQueue,
      handlerConfigJson,
      localBuckets: localBuckets(config),
      agentRoleArns,
      drainRoleName: drainRoleName(config.monitorRegion),
      sweepRoleName: sweepRoleName(config.monitorRegion),
      maxConcurrency: config.maxConcurrency,
      logRetentionDays: config.logRetentionDays,
    });

    this.alarmTopic = new AlarmTopic(this, 'Alerting', { alarmEmail: config.alarmEmail });
    this.alarms = new MonitorAlarms(this, 'Alarms', {
      pairs,
      topic: this.alarmTopic.topic,
      queue: this.intake.queue,
      deadLetterQueue: this.intake.deadLetterQueue,
      drain: this.processing.drain.fn,
      sweep: this.processing.sweep.fn,
    });
    this.dashboard = new MonitorDashboard(this, 'Dashboard', {
      pairs,
      queue: this.intake.queue,
      deadLetterQueue: this.intake.deadLetterQueue,
      drain: this.processing.drain.fn,
      sweep: this.processing.sweep.fn,
    });

    if (config.archiveToS3 && config.archiveBucket) {
      this.archive = new Archive(this, 'Archive', {
        table: this.store.table,
        bucketName: config.archiveBucket,
        deadLetterQueue: this.intake.deadLetterQueue,
        environment: {
          [ENV.tableName]: this.store.table.tableName,
          [ENV.config]: handlerConfigJson,
          [ENV.metricsNamespace]: METRICS_NAMESPACE,
        },
        logRetentionDays: config.logRetentionDays,
      });
    }

    if (config.reconcile) {
      this.reconcile = new Reconcile(this, 'Reconcile', {
        reconcile: config.reconcile,
        pairs,
        handlerConfigJson,
        topic: this.alarmTopic.topic,
        logRetentionDays: config.logRetentionDays,
      });
      new CfnOutput(this, 'ReconcileWorkGroup', {
        value: this.reconcile.settings.workgroup,
        description: 'Athena workgroup of the reconcile',
      });
      new CfnOutput(this, 'ReconcileDatabase', { value: this.reconcile.settings.database, description: 'Glue database of the reconcile' });
    }

    new CfnOutput(this, 'QueueArn', { value: this.intake.queue.queueArn, description: 'CRRMonitorQueue' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topic.topicArn, description: 'CRRMonitorMetricsTopic: subscribe to it' });
    new CfnOutput(this, 'TableName', { value: this.store.table.tableName });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'DrainRoleArn', { value: this.processing.drainRole.roleArn });
    new CfnOutput(this, 'SweepRoleArn', { value: this.processing.sweepRole.roleArn });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.intake.deadLetterQueue.queueArn });
    new CfnOutput(this, 'RedriveRoleArn', { value: this.intake.redriveRole.roleArn, description: 'Assume it to redrive the DLQ' });
    if (this.trail) new CfnOutput(this, 'TrailArn', { value: this.trail.trail.trailArn });
  }
}
