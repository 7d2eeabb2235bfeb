import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import { DEFAULTS } from '../defaults';
import { ATTENTION_INDEX, DUE_INDEX, ENV } from '../../lambda/shared/contract';
import { headObjectStatements, objectWildcardFindings } from './bucket-access';
import { HandlerFunction } from './handler-function';

export interface ProcessingProps {
  readonly table: dynamodb.ITable;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** CONFIG_JSON for the handlers (see HandlerConfig in lib/names.ts). */
  readonly handlerConfigJson: string;
  /** Monitored buckets in this account (HeadObject directly). */
  readonly localBuckets: readonly string[];
  /** Agent read roles in the source accounts (HeadObject on remote sources, by AssumeRole). */
  readonly agentRoleArns: readonly string[];
  /** Fixed role names, so that the agents' trust policies can name exactly these two roles. */
  readonly drainRoleName: string;
  readonly sweepRoleName: string;
  readonly maxConcurrency: number;
  readonly logRetentionDays: number;
}

/**
 * The two handlers of the pipeline, each with only the permissions it uses:
 * - drain: SQS event source mapping (batches of 100, 5 s window, partial batch responses, maxConcurrency from the
 *   config) → one conditional UpdateItem per event; HeadObject only as the version-id fallback.
 * - sweep: every minute, Query the `due` and `attention` indexes, GetItem (cursor) / BatchGetItem / UpdateItem, re-check
 *   overdue versions with HeadObject; metrics go out as EMF log lines (no cloudwatch:PutMetricData grant).
 * test/lib/permissions.test.ts derives what each handler's code can send from its bundle and checks these grants
 * against it, both ways.
 */
export class Processing extends Construct {
  readonly drain: HandlerFunction;
  readonly sweep: HandlerFunction;
  readonly drainRole: iam.Role;
  readonly sweepRole: iam.Role;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ProcessingProps) {
    super(scope, id);
    const environment = {
      [ENV.tableName]: props.table.tableName,
      [ENV.dueIndexName]: DUE_INDEX.name,
      [ENV.attentionIndexName]: ATTENTION_INDEX.name,
      [ENV.config]: props.handlerConfigJson,
      [ENV.metricsNamespace]: METRICS_NAMESPACE,
      [ENV.dlqUrl]: props.deadLetterQueue.queueUrl,
      [ENV.queueUrl]: props.queue.queueUrl,
    };

    this.drainRole = this.role('DrainRole', props.drainRoleName, 'crr-monitor drain handler');
    this.sweepRole = this.role('SweepRole', props.sweepRoleName, 'crr-monitor sweep handler');

    this.drain = new HandlerFunction(this, 'Drain', {
      entry: 'lambda/drain/index.ts',
      description: 'crr-monitor: turns object-write events from CRRMonitorQueue into replication record updates',
      timeout: DEFAULTS.drain.timeout,
      memorySize: DEFAULTS.drain.memorySize,
      environment,
      logRetentionDays: props.logRetentionDays,
      role: this.drainRole,
    });
    // A plain mapping rather than SqsEventSource, whose grantConsumeMessages adds ChangeMessageVisibility and
    // GetQueueUrl that the mapping does not use: Lambda's poller needs exactly these three.
    this.drain.fn.addEventSourceMapping('QueueSource', {
      eventSourceArn: props.queue.queueArn,
      batchSize: DEFAULTS.drain.batchSize,
      maxBatchingWindow: DEFAULTS.drain.maxBatchingWindow,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.drainRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EventSourceMappingPollsTheQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [props.queue.queueArn],
      }),
    );
    this.drainRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OneAtomicWritePerEvent',
        actions: ['dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.drainRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterWithReason', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
    );
    // During a DynamoDB outage the drain backs off by lengthening the visibility of the messages it could not store.
    this.drainRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'BackOffDuringOutages', actions: ['sqs:ChangeMessageVisibility'], resources: [props.queue.queueArn] }),
    );

    this.sweep = new HandlerFunction(this, 'Sweep', {
      entry: 'lambda/sweep/index.ts',
      description: 'crr-monitor: re-checks overdue replications with HeadObject and publishes per-pair metrics',
      timeout: DEFAULTS.sweep.timeout,
      memorySize: DEFAULTS.sweep.memorySize,
      environment,
      logRetentionDays: props.logRetentionDays,
      role: this.sweepRole,
      // One sweep at a time: overlapping sweeps would publish a minute's metrics twice.
      reservedConcurrentExecutions: 1,
      // A missed minute is covered by the next sweep; a retry could run concurrently with it.
      retryAttempts: 0,
    });
    this.sweepRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDueAndAttentionIndexes',
        actions: ['dynamodb:Query'],
        resources: [DUE_INDEX.name, ATTENTION_INDEX.name].map((index) => `${props.table.tableArn}/index/${index}`),
      }),
    );
    this.sweepRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndMarkRecords',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'crr-monitor: run the sweep every minute',
      schedule: events.Schedule.expression(DEFAULTS.sweep.schedule),
    });
    this.schedule.addTarget(new targets.LambdaFunction(this.sweep.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }));

    // Both read object metadata: drain for a missing version id, sweep for the replication status.
    for (const role of [this.drainRole, this.sweepRole]) {
      // Only the drain resolves missing version IDs (ListObjectVersions).
      const listVersions = role === this.drainRole;
      for (const statement of headObjectStatements(props.localBuckets, undefined, { listVersions })) role.addToPrincipalPolicy(statement);
      if (props.agentRoleArns.length > 0) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'AssumeAgentReadRolesOnly',
            actions: ['sts:AssumeRole'],
            resources: [...props.agentRoleArns],
          }),
        );
      }
      for (const finding of objectWildcardFindings(props.localBuckets)) {
        Validations.of(role).acknowledge({
          id: finding,
          reason: 'HeadObject works on any key of a monitored bucket: the object wildcard is per named bucket, never all buckets.',
        });
      }
    }
    Validations.of(this.sweepRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:PutMetricData has no resource type; the statement is limited by the condition cloudwatch:namespace = CRRMonitor.',
    });
  }

  private role(id: string, roleName: string, what: string): iam.Role {
    const role = new iam.Role(this, id, {
      roleName,
      description: `${what}; fixed name so that agent roles in source accounts can trust exactly it`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    return role;
  }
}
