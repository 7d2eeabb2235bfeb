import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE } from '../names';

export interface ReplicationStoreProps {
  /** Stream NEW_IMAGE changes (feeds the archive). */
  readonly stream: boolean;
}

/**
 * The replication records: one item per object version (and per pair), written by the drain with single atomic
 * UpdateItems, expired by TTL on `expiresAt` (epoch seconds, written by the drain: now + retentionHours).
 * The sparse `pending` index holds only records still waiting for a replica, so the sweep reads only those.
 * On-demand capacity (traffic follows the workload), point-in-time recovery, AWS-owned encryption.
 * The records are working state with a 24-hour default life: the table is deleted with the stack.
 */
export class ReplicationStore extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ReplicationStoreProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: props.stream ? dynamodb.StreamViewType.NEW_IMAGE : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.pendingIndex,
      partitionKey: { name: TABLE.pendingPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.pendingSortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
