import { Aws, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IntakeMode } from '../../lambda/shared/config';
import { objectCreatedPatterns, objectWritePatterns } from '../event-pattern';
import { QUEUE_NAME } from '../names';
import { createEncryptedTopic } from './encrypted-topic';

export interface EventForwarderProps {
  /** How writes reach the monitor: the rules match CloudTrail's events, S3's `Object Created` events, or none. */
  readonly intake: IntakeMode;
  /** Buckets in this account whose object writes the rules forward (intake `cloudtrail` and `eventbridge`). */
  readonly buckets: readonly string[];
  /**
   * Buckets that may publish their own S3 event notifications to the topic, grouped by the account that owns them
   * (`aws:SourceAccount`): the source buckets' `s3:Replication:*` in every mode, and with intake `notifications`
   * every configured bucket's `s3:ObjectCreated:*` as well (remote source accounts' too).
   */
  readonly notifyingBuckets: readonly { readonly account: string; readonly buckets: readonly string[] }[];
  /** The monitor's region: the central queue `CRRMonitorQueue` lives there, in this same account. */
  readonly monitorRegion: string;
  /** The topic's name (fixed per stack so the monitor's queue policy can name it exactly). */
  readonly topicName: string;
}

/**
 * One region's forwarder: an SNS topic in this region (KMS-encrypted with a key EventBridge and S3 may use) → the
 * central queue in the monitor region (cross-region subscription, raw message delivery), fed by
 * - intake `cloudtrail`: EventBridge rules for the CloudTrail object-write events of the configured buckets (in this
 *   account only);
 * - intake `eventbridge`: EventBridge rules for S3's own `Object Created` events of those buckets;
 * - intake `notifications`: no rule: each configured bucket's S3 event notifications (`s3:ObjectCreated:*`) publish
 *   to the topic directly, remote source accounts' buckets included.
 * In every mode the topic also accepts native S3 replication event notifications (`s3:Replication:*`) from the
 * configured source buckets, if you configure them (docs/deploying.md): they carry S3's own failure reasons.
 *
 * Only S3 can say what S3 did: EventBridge publishes as `events.amazonaws.com` under this stack's rule ARNs
 * (`aws:SourceArn`), S3 under the bucket ARNs (with the owner's `aws:SourceAccount`), and the topic policy denies
 * `sns:Publish` from anything else — so an IAM allow inside this account is not enough to publish a forged event.
 * (A role for the rules would not do: its Publish calls carry no `aws:SourceArn` the topic policy could check.)
 */
export class EventForwarder extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: EventForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);

    ({ key: this.key, topic: this.topic } = createEncryptedTopic(this, {
      keyDescription: 'Encrypts the crr-monitor forwarder topic',
      topicName: props.topicName,
      displayName: 'crr-monitor object-write events',
    }));
    const notifying = props.notifyingBuckets.filter((g) => g.buckets.length > 0);
    const bucketArns = notifying.flatMap((g) => g.buckets.map((b) => `arn:${Aws.PARTITION}:s3:::${b}`));
    if (notifying.length > 0) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowS3NotificationsOfMonitoredBucketsToEncrypt',
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': notifying.length === 1 ? notifying[0].account : notifying.map((g) => g.account) },
          },
        }),
      );
    }
    // One statement per owning account: a bucket ARN has no account in it, so each is paired with its owner.
    notifying.forEach((group, i) => {
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid:
            (props.intake === 'notifications'
              ? 'AllowNotificationsOfMonitoredBuckets'
              : 'AllowReplicationNotificationsOfMonitoredSources') + (i === 0 ? '' : String(i)),
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            ArnLike: { 'aws:SourceArn': group.buckets.map((b) => `arn:${Aws.PARTITION}:s3:::${b}`) },
            StringEquals: { 'aws:SourceAccount': group.account },
          },
        }),
      );
    });

    const queue = sqs.Queue.fromQueueArn(
      this,
      'CentralQueue',
      `arn:${Aws.PARTITION}:sqs:${props.monitorRegion}:${Aws.ACCOUNT_ID}:${QUEUE_NAME}`,
    );
    // Raw delivery: the queue receives the event (EventBridge's, or S3's notification) itself.
    this.topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));

    const patterns =
      props.intake === 'cloudtrail'
        ? objectWritePatterns(props.buckets, [Aws.ACCOUNT_ID])
        : props.intake === 'eventbridge'
          ? objectCreatedPatterns(props.buckets, [Aws.ACCOUNT_ID])
          : [];
    const what = props.intake === 'eventbridge' ? 'S3 Object Created events' : 'S3 object writes (CloudTrail)';
    // The target is the topic itself, authorized by the topic policy below (not CDK's SnsTopic target, whose grant to
    // events.amazonaws.com has no condition: any rule of any account).
    const topicTarget: events.IRuleTarget = { bind: () => ({ arn: this.topic.topicArn }) };
    patterns.forEach((eventPattern, i) => {
      const rule = new events.Rule(this, `ObjectWrites${i}`, {
        description: `crr-monitor: ${what} of ${props.buckets.length} monitored bucket(s) in ${stack.region} (${i + 1}/${patterns.length})`,
        eventPattern,
      });
      rule.addTarget(topicTarget);
      this.rules.push(rule);
    });
    const ruleArns = this.rules.map((r) => r.ruleArn);
    if (ruleArns.length > 0) {
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisStacksRulesOnly',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': ruleArns }, StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowEventBridgeOfThisAccountToEncrypt',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishUnlessFromTheseRulesOrBuckets',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        // aws:SourceArn is set by AWS services only; a caller with an IAM allow has none, so it is denied.
        conditions: { ArnNotLike: { 'aws:SourceArn': [...ruleArns, ...bucketArns] } },
      }),
    );
  }
}
