import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { type Construct } from 'constructs';
import { partitionOf, remoteSourceBuckets, type MonitorConfig } from '../../lambda/shared/config';
import { objectWritePatterns } from '../event-pattern';
import { agentRoleName, drainRoleName, roleArn, sweepRoleName } from '../names';
import { AgentReadRole } from '../constructs/agent-read-role';
import { WriteDataTrail } from '../constructs/trail';

export interface AgentStackProps extends StackProps {
  readonly config: MonitorConfig;
  /** The source account this stack is deployed to. */
  readonly account: string;
  /** The region this stack is deployed to. */
  readonly region: string;
  /**
   * The account's home stack (in the monitor region) also holds the account-wide parts: the multi-region trail
   * that logs the source buckets' writes and the read role.
   */
  readonly home: boolean;
}

/**
 * `AgentStack-<account>-<region>`, in a source account: rules that forward the object-write events of this
 * account's configured source buckets to the monitor account's default event bus (in the monitor region); in
 * the home region also the trail that produces those events and the read role the monitor assumes for HeadObject.
 */
export class AgentStack extends Stack {
  readonly rules: events.Rule[] = [];
  /** The role EventBridge assumes to put this stack's events on the monitor's bus. */
  readonly forwardRole: iam.Role;
  readonly readRole?: AgentReadRole;
  readonly trail?: WriteDataTrail;

  constructor(scope: Construct, id: string, props: AgentStackProps) {
    super(scope, id, {
      description: `crr-monitor agent: forwards S3 object writes of account ${props.account} in ${props.region} to the monitor`,
      ...props,
      env: { account: props.account, region: props.region },
    });
    const { config } = props;
    if (!config.monitorAccount) throw new Error('AgentStack needs config.monitorAccount');
    const monitorAccount = config.monitorAccount;
    const buckets = remoteSourceBuckets(config, props.account);
    if (buckets.length === 0) throw new Error(`AgentStack: no replication rule has sourceAccount ${props.account}`);
    const partition = partitionOf(config.monitorRegion);

    const bus = events.EventBus.fromEventBusArn(
      this,
      'MonitorBus',
      `arn:${Aws.PARTITION}:events:${config.monitorRegion}:${monitorAccount}:event-bus/default`,
    );
    const patterns = objectWritePatterns(buckets, [props.account]);
    // Fixed rule names (`<stack>-ObjectWrites<i>`, unique per account and region like the stack name) let the role's
    // trust name the rules' ARNs without a dependency cycle (the rules reference the role).
    const ruleName = (i: number) => `${this.stackName}-ObjectWrites${i}`;
    const ruleArns = patterns.map((_, i) => `arn:${Aws.PARTITION}:events:${props.region}:${props.account}:rule/${ruleName(i)}`);
    // EventBridge may assume it only for this stack's rules, in this account (confused-deputy protection).
    this.forwardRole = new iam.Role(this, 'ForwardRole', {
      description: `crr-monitor agent: lets this stack's rules put events on the monitor bus of ${monitorAccount}`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': props.account },
        ArnEquals: { 'aws:SourceArn': ruleArns },
      }),
    });
    patterns.forEach((eventPattern, i) => {
      const rule = new events.Rule(this, `ObjectWrites${i}`, {
        ruleName: ruleName(i),
        description: `crr-monitor agent: object writes of ${buckets.length} source bucket(s) → monitor account ${monitorAccount} (${i + 1}/${patterns.length})`,
        eventPattern,
      });
      rule.addTarget(new targets.EventBus(bus, { role: this.forwardRole }));
      this.rules.push(rule);
    });

    if (props.home) {
      this.trail = new WriteDataTrail(this, 'Trail', { buckets, logExpirationDays: config.trailLogExpirationDays });
      this.readRole = new AgentReadRole(this, 'ReadRole', {
        roleName: agentRoleName(config.monitorRegion),
        buckets,
        monitorAccount,
        trustedRoleArns: [
          roleArn(partition, monitorAccount, drainRoleName(config.monitorRegion)),
          roleArn(partition, monitorAccount, sweepRoleName(config.monitorRegion)),
        ],
      });
      new CfnOutput(this, 'ReadRoleArn', { value: this.readRole.role.roleArn });
    }
  }
}
