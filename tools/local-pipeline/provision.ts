import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { tableDefinition } from '../../lambda/shared/contract';

/** The resources the CDK MonitorStack and CrrForwarder stacks declare, by the same shapes, on the emulators. */
export interface Provisioned {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  /** One forwarder topic per monitored region, each subscribed to the queue (SNS envelope, not raw delivery). */
  readonly topicArns: Record<string, string>;
}

export interface ProvisionOptions {
  readonly name?: string;
  readonly regions?: readonly string[];
  /** Seconds a received message stays invisible; short in tests so failed messages come back quickly. */
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
}

export async function createTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)));
  // Wait until the table and its index are ACTIVE.
  for (let i = 0; i < 200; i++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

export async function provision(
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient; sns: SNSClient },
  options: ProvisionOptions = {},
): Promise<Provisioned> {
  const name = options.name ?? 'crr-monitor';
  const tableName = `${name}-replication`;
  await createTable(clients.dynamodb, tableName);
  const dlq = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: '1209600' } }),
  );
  const dlqArn = await queueArn(clients.sqs, dlq.QueueUrl!);
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-events`,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
      },
    }),
  );
  const arn = await queueArn(clients.sqs, queue.QueueUrl!);
  const topicArns: Record<string, string> = {};
  for (const region of options.regions ?? ['us-east-1']) {
    const topic = await clients.sns.send(new CreateTopicCommand({ Name: `${name}-forwarder-${region}` }));
    await clients.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn }));
    topicArns[region] = topic.TopicArn!;
  }
  return { tableName, queueUrl: queue.QueueUrl!, queueArn: arn, dlqUrl: dlq.QueueUrl!, topicArns };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}
