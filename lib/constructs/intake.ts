import { Aws, type Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULTS } from '../defaults';
import type { IntakeMode } from '../../lambda/shared/config';
import { OBJECT_CREATED_DETAIL_TYPE, objectCreatedPatterns, objectWritePatterns } from '../event-pattern';
import { forwarderTopicName, QUEUE_NAME, roleArn } from '../names';

export interface IntakeProps {
  /**
   * How writes reach the monitor. The agents of remote accounts forward CloudTrail's events (`cloudtrail`) or S3's
   * `Object Created` events (`eventbridge`) to this account's bus; with `notifications` their buckets notify the
   * regional forwarder topics directly, so the bus admits nothing.
   */
  readonly intake: IntakeMode;
  /** Regions with a CrrForwarder-<region> stack whose SNS topic delivers to the queue. */
  readonly forwarderRegions: readonly string[];
  /** Accounts whose AgentStacks forward events to this account's default event bus. */
  readonly remoteAccounts: readonly string[];
  /** Source buckets in the remote accounts (the rule on the default bus matches exactly these). */
  readonly remoteSourceBuckets: readonly string[];
  /** Visibility timeout of the queue: at least six times the drain timeout plus its batching window. */
  readonly visibilityTimeout: Duration;
  /** Fixed name of the role that may redrive the DLQ into the queue (the queue policy names its ARN). */
  readonly redriveRoleName: string;
}

/**
 * How events reach the drain: the central queue `CRRMonitorQueue` (SSE, TLS only) with a DLQ, a queue policy that
 * admits only this monitor's regional SNS topics (by exact ARN) and its own EventBridge rules, and — for
 * cross-account sources with intake `cloudtrail` or `eventbridge` — a default-event-bus policy that admits exactly
 * `remoteAccounts` and that intake's S3 events, plus rules that send their forwarded object-write events to the queue.
 *
 * SNS subscriptions use raw message delivery and EventBridge targets send the event itself, so every message body
 * is the EventBridge event JSON, whichever way it came.
 *
 * Only S3 can say what S3 did: inside this account an IAM allow on `sqs:SendMessage` would be enough to put a forged
 * event on the queue, so the queue policy also denies every SendMessage that does not come from one of those topics
 * or rules (`aws:SourceArn`, which only AWS services set) or from the redrive role (`aws:PrincipalArn`). Redrive
 * (StartMessageMoveTask) sends the moved messages with the permissions of the principal that started the task, so
 * the exception for people is that one role; the DLQ's own ARN is admitted as a source as well, in case SQS presents
 * the move as coming from the DLQ (a service-set key: admitting it admits nothing a principal could forge).
 */
export class Intake extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly remoteRules: events.Rule[] = [];
  /** Assume it to redrive the DLQ (README: "Redriving the DLQ"). */
  readonly redriveRole: iam.Role;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULTS.queue.dlqRetentionPeriod,
      maxMessageSizeBytes: DEFAULTS.queue.dlqMaxMessageSizeBytes,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of CRRMonitorQueue; an alarm fires as soon as it holds a message.',
    });

    // SSE-SQS rather than a KMS key: SNS topics in other regions deliver to it without a cross-region key grant.
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: QUEUE_NAME,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: DEFAULTS.queue.retentionPeriod,
      maxMessageSizeBytes: DEFAULTS.queue.maxMessageSizeBytes,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DEFAULTS.queue.maxReceiveCount },
    });

    const stack = Stack.of(this);
    const topicArns = props.forwarderRegions.map(
      (region) => `arn:${Aws.PARTITION}:sns:${region}:${Aws.ACCOUNT_ID}:${forwarderTopicName(region)}`,
    );
    if (topicArns.length > 0) {
      this.queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisMonitorsForwarderTopics',
          principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': topicArns } },
        }),
      );
    }

    if (props.remoteAccounts.length > 0 && props.intake !== 'notifications') {
      const detailType = props.intake === 'eventbridge' ? OBJECT_CREATED_DETAIL_TYPE : 'AWS API Call via CloudTrail';
      // The default bus of this account and region admits PutEvents from exactly the listed accounts.
      new events.CfnEventBusPolicy(this, 'RemoteAccountsBusPolicy', {
        eventBusName: 'default',
        statementId: `crr-monitor-${Names.uniqueId(this)}`.slice(0, 64),
        statement: {
          Effect: 'Allow',
          Principal: { AWS: props.remoteAccounts.map((a) => `arn:${Aws.PARTITION}:iam::${a}:root`) },
          Action: 'events:PutEvents',
          Resource: `arn:${Aws.PARTITION}:events:${stack.region}:${Aws.ACCOUNT_ID}:event-bus/default`,
          // Agents forward S3's events of one kind (the intake's) and nothing else: a remote account cannot put other events here.
          Condition: { StringEquals: { 'events:source': 'aws.s3', 'events:detail-type': detailType } },
        },
      });
      const patterns =
        props.intake === 'eventbridge'
          ? objectCreatedPatterns(props.remoteSourceBuckets, props.remoteAccounts)
          : objectWritePatterns(props.remoteSourceBuckets, props.remoteAccounts);
      patterns.forEach((eventPattern, i) => {
        const rule = new events.Rule(this, `RemoteWrites${i}`, {
          description: `crr-monitor: object writes forwarded by the agents of ${props.remoteAccounts.length} account(s) (${i + 1}/${patterns.length})`,
          eventPattern,
        });
        // The target adds a queue-policy statement for events.amazonaws.com limited to this rule's ARN.
        rule.addTarget(new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185 }));
        this.remoteRules.push(rule);
      });
    }

    this.redriveRole = new iam.Role(this, 'RedriveRole', {
      roleName: props.redriveRoleName,
      description: 'crr-monitor: redrive the DLQ into CRRMonitorQueue (the only principal the queue policy admits)',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    this.redriveRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MoveMessagesOutOfTheDlq',
        actions: [
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    this.redriveRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendMovedMessagesToTheQueue', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );

    // Everything that may deliver to the queue, by source ARN (set by AWS services only, never by a caller).
    const sources = [...topicArns, ...this.remoteRules.map((r) => r.ruleArn), this.deadLetterQueue.queueArn];
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenySendUnlessFromTheForwardersOrRedrive',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        // Both must hold to deny: not from a known source, and not the redrive role. A key absent from the request
        // makes its ArnNotEquals true, so a plain IAM principal (no aws:SourceArn) is denied.
        conditions: {
          ArnNotEquals: {
            'aws:SourceArn': sources,
            'aws:PrincipalArn': roleArn(Aws.PARTITION, stack.account, props.redriveRoleName),
          },
        },
      }),
    );
  }
}
