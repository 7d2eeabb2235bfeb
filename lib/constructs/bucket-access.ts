import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * HeadObject on a version needs s3:GetObject and s3:GetObjectVersion on the object ARNs; s3:ListBucket on the
 * bucket lets a missing key answer 404 instead of 403, so the handlers can tell "gone" from "not allowed".
 * `listVersions` adds s3:ListBucketVersions (ListObjectVersions: the drain's fallback for a write CloudTrail
 * recorded without its version ID). Only the named buckets: never `*`.
 */
export function headObjectStatements(
  buckets: readonly string[],
  partition: string = Aws.PARTITION,
  options: { listVersions?: boolean } = {},
): iam.PolicyStatement[] {
  if (buckets.length === 0) return [];
  return [
    new iam.PolicyStatement({
      sid: 'HeadObjectOnMonitoredBuckets',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: buckets.map((b) => `arn:${partition}:s3:::${b}/*`),
    }),
    new iam.PolicyStatement({
      sid: 'ListMonitoredBucketsFor404',
      actions: options.listVersions ? ['s3:ListBucket', 's3:ListBucketVersions'] : ['s3:ListBucket'],
      resources: buckets.map((b) => `arn:${partition}:s3:::${b}`),
    }),
  ];
}

/** The cdk-nag finding ids of the object-ARN wildcards above, one per bucket. */
export function objectWildcardFindings(buckets: readonly string[]): string[] {
  return buckets.map((b) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${b}/*]`);
}
