import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE } from '../names';

export interface ReplicationStoreProps {
  /** Stream NEW_AND_OLD_IMAGES changes (feeds the archive: before and after each write give its outcomes). */
  readonly stream: boolean;
}

/**
 * The replication records: one item per object version (and per pair), written by the drain with single atomic
 * UpdateItems, expired by TTL on `expiresAt` (epoch seconds, written by the drain: now + retentionHours).
 * Two indexes, each projecting only what its reader needs (lambda/shared/table-schema.ts): `due` (KEYS_ONLY, written
 * once per version) lets the sweep read just the versions crossing the overdue threshold; the sparse `attention`
 * (the sweep's own writes, INCLUDE attnState) holds the overdue and failed ones.
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
      stream: props.stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.dueIndex,
      partitionKey: { name: TABLE.duePartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.dueSortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.attentionIndex,
      partitionKey: { name: TABLE.attentionPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.attentionSortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [TABLE.attentionState],
    });
  }
}
