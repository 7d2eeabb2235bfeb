import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS_TOPIC_NAME } from '../names';
import { createEncryptedTopic } from './encrypted-topic';

export interface AlarmTopicProps {
  /** Subscribed by e-mail when set (the address must confirm the subscription). */
  readonly alarmEmail?: string;
}

/**
 * `CRRMonitorMetricsTopic`, where every alarm notifies. It is encrypted with a customer-managed KMS key whose
 * policy lets CloudWatch use it: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed
 * `alias/aws/sns` key (the original CRR Monitor used that key, so its alarm notifications were never delivered).
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    ({ key: this.key, topic: this.topic } = createEncryptedTopic(this, {
      keyDescription: `Encrypts ${METRICS_TOPIC_NAME}; CloudWatch alarms may use it to publish`,
      topicName: METRICS_TOPIC_NAME,
      displayName: 'S3 replication monitor alarms',
    }));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only on behalf of this account's alarms (no other account's CloudWatch can use the key through SNS).
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.topic.env.account },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${this.topic.env.region}:${this.topic.env.account}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
  }
}
