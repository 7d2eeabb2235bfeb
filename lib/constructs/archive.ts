import { Aws, type CfnElement, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULTS } from '../defaults';
import { ENV, SWEEP_CURSOR, TABLE_KEY } from '../../lambda/shared/contract';
import { HandlerFunction } from './handler-function';

export interface ArchiveProps {
  /** The table, with a NEW_AND_OLD_IMAGES stream. */
  readonly table: dynamodb.ITable;
  /** An existing bucket (by name) that receives the archive. */
  readonly bucketName: string;
  /** Where stream records that keep failing go (the DLQ; its alarm fires). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Environment shared with the other handlers (TABLE_NAME, CONFIG_JSON, ...). */
  readonly environment: Record<string, string>;
  readonly logRetentionDays: number;
}

/**
 * The archived record: one JSON line per pair outcome (completed, failed, or a latency correction), as the archive
 * handler writes it (ArchiveRow in lambda/archive/archive.ts; a test keeps the two in step). A (key, versionId,
 * source, destination) can have several rows: the one with the highest `revision`, then `sequence`, is its latest (README, Archive).
 * JSON keys are matched case-insensitively. Times are ISO-8601 strings: query them with from_iso8601_timestamp().
 */
export const ARCHIVE_COLUMNS: glue.CfnTable.ColumnProperty[] = [
  { name: 'source', type: 'string', comment: 'source bucket' },
  { name: 'destination', type: 'string', comment: 'destination bucket' },
  { name: 'key', type: 'string', comment: 'object key (plain, not URL-encoded)' },
  { name: 'versionid', type: 'string', comment: 'object version id (the same on source and replica)' },
  { name: 'state', type: 'string', comment: 'COMPLETED, FAILED, DELETE_MARKER_FAILED or SOURCE_DELETED' },
  {
    name: 'outcome',
    type: 'string',
    comment: 'completed, failed, latency (the latency of an earlier completed row), metadataFailed, deleteMarkerFailed or sourceDeleted',
  },
  {
    name: 'revision',
    type: 'int',
    comment:
      'failed/sourceDeleted/deleteMarkerFailed 1, completed 2, latency 3, completed with a metadata failure 4 (5 with a latency): the highest revision of a version and pair is its latest',
  },
  { name: 'recordedat', type: 'bigint', comment: 'when the deciding write was committed (stream record time), epoch ms, whole seconds' },
  { name: 'sequence', type: 'string', comment: 'stream sequence number, 40 digits zero-padded: orders rows of the same revision' },
  { name: 'sourcetime', type: 'string', comment: 'source write time, ISO-8601 UTC' },
  { name: 'sourceat', type: 'bigint', comment: 'source write time, epoch milliseconds' },
  { name: 'withoutsource', type: 'boolean', comment: 'true if the source write was never seen: sourcetime is then the replica time' },
  { name: 'replicatime', type: 'string', comment: 'replica write time, ISO-8601 UTC (null if only HeadObject said COMPLETED)' },
  { name: 'latencyseconds', type: 'double', comment: 'replica write time - source write time, seconds' },
  { name: 'bytes', type: 'bigint', comment: 'object size' },
  { name: 'failurereason', type: 'string', comment: 'S3 failure reason code, when known' },
  { name: 'failureclass', type: 'string', comment: 'class of the failure reason: data, metadata, deleteMarker or sourceDeleted' },
  { name: 'pendingseconds', type: 'double', comment: 'seconds pending when archived (OVERDUE rows only; null for final rows)' },
];

/**
 * The optional archive: DynamoDB Streams (NEW_AND_OLD_IMAGES, TTL deletions filtered out) → archive handler (one row
 * per pair outcome of each write, from the old and new images) → Kinesis Data Firehose (PutRecordBatch) → the archive
 * bucket, GZIP-compressed, under `crr-monitor/records/dt=YYYY-MM-DD/`; plus a Glue database and table with partition
 * projection so that Athena can query the history with no crawler and no hand-written DDL.
 */
/**
 * The DLQ as the stream mapping's on-failure destination. CDK's SqsDlq grants grantSendMessages (SendMessage,
 * GetQueueAttributes, GetQueueUrl); Lambda needs sqs:SendMessage only to send a failed batch's record there.
 */
function sendOnlyDlq(queue: sqs.IQueue): lambda.IEventSourceDlq {
  return {
    bind: (_target, targetHandler) => {
      targetHandler.addToRolePolicy(
        new iam.PolicyStatement({ sid: 'FailedStreamRecordsToDlq', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      return { destination: queue.queueArn };
    },
  };
}

export class Archive extends Construct {
  readonly deliveryStream: firehose.DeliveryStream;
  readonly handler: HandlerFunction;
  readonly database: glue.CfnDatabase;
  readonly glueTable: glue.CfnTable;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const bucket = s3.Bucket.fromBucketName(this, 'Bucket', props.bucketName);

    // Firehose delivery errors go to a log group of our own: with a retention, deleted with the stack.
    const deliveryLogs = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The destination's own grant is bucket.grantReadWrite (DeleteObject*, PutObjectRetention, PutObjectLegalHold, ...).
    // Firehose needs only what AWS documents for an S3 destination role
    // (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3, and the role the console
    // creates: https://docs.aws.amazon.com/firehose/latest/dev/console-managed-roles.html) plus logs:PutLogEvents for
    // error logging. The construct gets an immutable view of the role, so its grants are dropped.
    const firehoseRole = new iam.Role(this, 'DeliveryRole', {
      description: 'crr-monitor: Firehose delivery of archived records to the archive bucket',
      // Firehose passes the stream's account as the external ID (the trust policy AWS documents for Firehose roles).
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': Aws.ACCOUNT_ID } } }),
    });
    const deliveryPolicy = new iam.Policy(this, 'DeliveryPolicy', {
      roles: [firehoseRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteArchiveObjects',
          actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          resources: [bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'FindArchiveBucket',
          actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          resources: [bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'LogDeliveryErrors',
          actions: ['logs:PutLogEvents'],
          resources: [`arn:${Aws.PARTITION}:logs:${stack.region}:${stack.account}:log-group:${deliveryLogs.logGroupName}:log-stream:*`],
        }),
      ],
    });
    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(bucket, {
        compression: firehose.Compression.GZIP,
        dataOutputPrefix: `${DEFAULTS.archive.prefix}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${DEFAULTS.archive.errorPrefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        bufferingInterval: DEFAULTS.archive.bufferingInterval,
        bufferingSize: Size.mebibytes(DEFAULTS.archive.bufferingSizeMiB),
        loggingConfig: new firehose.EnableLogging(deliveryLogs),
        role: firehoseRole.withoutPolicyUpdates(),
      }),
    });
    // Firehose checks the role when the stream is created: the policy must exist first.
    this.deliveryStream.node.addDependency(deliveryPolicy);
    const known = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const logGroupId = stack.getLogicalId(deliveryLogs.node.defaultChild as CfnElement);
    Validations.of(deliveryPolicy).acknowledge({
      id:
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${known(stack.region, 'AWS::Region')}:` +
        `${known(stack.account, 'AWS::AccountId')}:log-group:<${logGroupId}>:log-stream:*]`,
      reason:
        'Firehose writes delivery errors to log streams of its own log group (created with the stream); ' +
        'the wildcard is the stream name within that one group.',
    });
    Validations.of(deliveryPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${props.bucketName}/*]`,
      reason: 'Firehose writes objects under dated prefixes of the archive bucket: an object wildcard of that single bucket.',
    });
    for (const child of deliveryLogs.node.findAll()) {
      if (child instanceof logs.CfnLogStream) child.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }

    this.handler = new HandlerFunction(this, 'Handler', {
      entry: 'lambda/archive/index.ts',
      description: 'crr-monitor: archives finished replication records to Kinesis Data Firehose',
      timeout: DEFAULTS.archive.timeout,
      memorySize: DEFAULTS.archive.memorySize,
      environment: { ...props.environment, [ENV.archiveStreamName]: this.deliveryStream.deliveryStreamName },
      logRetentionDays: props.logRetentionDays,
    });
    this.handler.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: DEFAULTS.archive.batchSize,
        maxBatchingWindow: DEFAULTS.archive.maxBatchingWindow,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        onFailure: sendOnlyDlq(props.deadLetterQueue),
        // What cannot be an outcome is dropped here: REMOVE (TTL expiry; nothing else deletes) and the sweep
        // cursor's item. The rest cannot be filtered: whether a write decided an outcome depends on the old and the
        // new image together (the core's merge of every slot), and a filter pattern sees each field alone. Writes
        // that change nothing (duplicates fail their condition) produce no stream record at all, and the batch size
        // and window (DEFAULTS.archive) keep one invocation per many writes.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: { Keys: { [TABLE_KEY.partition]: { S: lambda.FilterRule.notEquals(SWEEP_CURSOR.pk) } } },
          }),
        ],
      }),
    );
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (granted by the DynamoDB event source) has no resource-level permissions; every other action is scoped to the table stream, the DLQ or the delivery stream.',
    });
    this.handler.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutArchiveRecords',
        actions: ['firehose:PutRecordBatch'],
        resources: [this.deliveryStream.deliveryStreamArn],
      }),
    );

    const databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9]/g, '_')}_archive`;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'crr-monitor: archived S3 replication records' },
    });
    this.glueTable = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: 'replications',
        description: 'One row per finished (source, destination, key, versionId); partitioned by archive date',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string', comment: 'archive date, YYYY-MM-DD (UTC)' }],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2024-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `s3://${props.bucketName}/${DEFAULTS.archive.prefix}dt=\${dt}/`,
        },
        storageDescriptor: {
          columns: ARCHIVE_COLUMNS,
          location: `s3://${props.bucketName}/${DEFAULTS.archive.prefix}`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'true', 'ignore.malformed.json': 'true' },
          },
        },
      },
    });
    this.glueTable.addResourceDependency(this.database);
  }
}
