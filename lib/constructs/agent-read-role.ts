import * as iam from 'aws-cdk-lib/aws-iam';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { headObjectStatements, objectWildcardFindings } from './bucket-access';

export interface AgentReadRoleProps {
  /** Fixed name: the monitor computes its ARN (`crr-monitor-agent-read-<monitorRegion>`). */
  readonly roleName: string;
  /** This account's configured source buckets: HeadObject on these only. */
  readonly buckets: readonly string[];
  /** The monitor account. */
  readonly monitorAccount: string;
  /** The monitor's drain and sweep role ARNs: the only principals that may assume this role. */
  readonly trustedRoleArns: readonly string[];
}

/**
 * The read-only role of a source account: HeadObject (s3:GetObject, s3:GetObjectVersion, s3:ListBucket) and
 * ListObjectVersions (s3:ListBucketVersions) on the account's configured source buckets, assumable only by the monitor's drain and sweep roles (named exactly).
 */
export class AgentReadRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AgentReadRoleProps) {
    super(scope, id);
    if (props.trustedRoleArns.length === 0) throw new Error('AgentReadRole needs at least one trusted role');
    // Trust the monitor account, conditioned on the exact role ARNs (aws:PrincipalArn): unlike role principals,
    // this does not require the monitor roles to exist first and survives their re-creation.
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: "crr-monitor: HeadObject on this account's monitored source buckets, for the monitor's drain and sweep",
      assumedBy: new iam.AccountPrincipal(props.monitorAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': [...props.trustedRoleArns] },
      }),
    });
    // The drain resolves a remote write's missing version ID through this role too (ListObjectVersions).
    for (const statement of headObjectStatements(props.buckets, undefined, { listVersions: true })) this.role.addToPrincipalPolicy(statement);
    for (const finding of objectWildcardFindings(props.buckets)) {
      Validations.of(this.role).acknowledge({
        id: finding,
        reason: 'HeadObject works on any key of a monitored source bucket: the object wildcard is per named bucket, never all buckets.',
      });
    }
  }
}
