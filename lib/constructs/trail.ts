import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { OBJECT_WRITE_EVENT_NAMES } from '../event-pattern';

export interface WriteDataTrailProps {
  /** Buckets whose object writes are logged. */
  readonly buckets: readonly string[];
  /** Days after which log files expire in the trail bucket. */
  readonly logExpirationDays: number;
}

/**
 * A multi-region CloudTrail trail that logs only S3 **write data events of the configured buckets** — the
 * object-write calls (PutObject, CopyObject, CompleteMultipartUpload) on exactly these bucket ARNs — and no
 * management events. CloudTrail charges per data event delivered, so narrowing the selector to the write calls
 * also leaves out UploadPart, DeleteObject and friends. CloudTrail delivers these events to EventBridge in each
 * bucket's region, which is what the forwarders listen to.
 *
 * The log bucket: SSE-S3, TLS only, public access blocked, owner-enforced objects, files expire after
 * `logExpirationDays`. It is retained when the stack is deleted (it holds audit records; empty it and delete it by
 * hand if you do not need them). CloudTrail may write to it only for this trail (`aws:SourceArn` = the trail's ARN,
 * which a fixed trail name makes known before the trail exists: the bucket policy is created first).
 */
export class WriteDataTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: WriteDataTrailProps) {
    super(scope, id);
    if (props.buckets.length === 0) throw new Error('WriteDataTrail needs at least one bucket');

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-trail-logs',
          expiration: Duration.days(props.logExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives only CloudTrail log files, written by the CloudTrail service; server access logs of it would record nothing but those deliveries and would need yet another bucket.',
    });

    const stack = Stack.of(this);
    // `<stack>-crr-monitor`: stack names are unique per account and region, and so is this.
    const trailName = `${stack.stackName}-crr-monitor`;
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName,
      bucket: this.logBucket,
      isMultiRegionTrail: true,
      // Required by CloudTrail for a multi-region trail; with no management events it logs nothing extra.
      includeGlobalServiceEvents: true,
      // No `managementEvents`: the advanced selectors below are the whole selection, and they log none.
      enableFileValidation: true,
      sendToCloudWatchLogs: false,
    });

    const trailArn = `arn:${Aws.PARTITION}:cloudtrail:${stack.region}:${stack.account}:trail/${trailName}`;
    // The CDK's Trail adds the GetBucketAcl and PutObject statements for cloudtrail.amazonaws.com without it.
    const document = this.logBucket.policy?.document as unknown as { statements?: iam.PolicyStatement[] } | undefined;
    const statements = document?.statements ?? [];
    const cloudTrailStatements = statements.filter((st) => JSON.stringify(st.toStatementJson()).includes('cloudtrail.amazonaws.com'));
    if (cloudTrailStatements.length !== 2) {
      throw new Error(`WriteDataTrail: expected 2 CloudTrail bucket statements, found ${cloudTrailStatements.length}`);
    }
    for (const st of cloudTrailStatements) {
      st.addCondition('StringEquals', { 'aws:SourceArn': trailArn, 'aws:SourceAccount': stack.account });
    }

    const partition = stack.partition;
    const cfn = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    // Advanced event selectors replace the basic ones: write-only object data events of these buckets only.
    cfn.addPropertyDeletionOverride('EventSelectors');
    cfn.addPropertyOverride('AdvancedEventSelectors', [
      {
        Name: 'crr-monitor object writes of the monitored buckets',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'readOnly', Equals: ['false'] },
          { Field: 'eventName', Equals: OBJECT_WRITE_EVENT_NAMES },
          { Field: 'resources.ARN', StartsWith: [...props.buckets].sort().map((b) => `arn:${partition}:s3:::${b}/`) },
        ],
      },
    ]);
  }
}
