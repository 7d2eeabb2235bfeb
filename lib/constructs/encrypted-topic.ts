import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { type Construct } from 'constructs';

export interface EncryptedTopicProps {
  readonly keyDescription: string;
  readonly topicName: string;
  readonly displayName: string;
}

/**
 * An SNS topic under its own customer-managed KMS key (rotated, deleted with the stack after KMS's shortest
 * waiting period), TLS only. A customer key, not `alias/aws/sns`, so that services (CloudWatch alarms, S3
 * notifications) can be granted its use in the key policy. Created as `Key` and `Topic` inside `scope`.
 */
export function createEncryptedTopic(scope: Construct, props: EncryptedTopicProps): { key: kms.Key; topic: sns.Topic } {
  const key = new kms.Key(scope, 'Key', {
    description: props.keyDescription,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  const topic = new sns.Topic(scope, 'Topic', {
    topicName: props.topicName,
    displayName: props.displayName,
    masterKey: key,
    enforceSSL: true,
  });
  return { key, topic };
}
