import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ATTENTION_INDEX, DUE_INDEX, TABLE_KEY, TTL_ATTRIBUTE } from '../../lambda/shared/contract';

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
      partitionKey: { name: TABLE_KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: props.stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX.name,
      partitionKey: { name: DUE_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DUE_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: ATTENTION_INDEX.name,
      partitionKey: { name: ATTENTION_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTENTION_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [ATTENTION_INDEX.stateAttribute],
    });
  }
}
