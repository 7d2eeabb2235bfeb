import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { type Construct } from 'constructs';
import { partitionOf, remoteSourceBuckets, type MonitorConfig } from '../../lambda/shared/config';
import { objectCreatedPatterns, objectWritePatterns } from '../event-pattern';
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
 * account's configured source buckets to the monitor account's default event bus (in the monitor region) — CloudTrail's
 * (intake `cloudtrail`) or S3's own `Object Created` (intake `eventbridge`); in the home region also the read role
 * the monitor assumes for HeadObject and, with intake `cloudtrail`, the trail that produces those events. With intake
 * `notifications` the buckets notify the monitor's regional topics directly: only the home stack, with the read role.
 */
export class AgentStack extends Stack {
  readonly rules: events.Rule[] = [];
  /** The role EventBridge assumes to put this stack's events on the monitor's bus (none with intake `notifications`). */
  readonly forwardRole?: iam.Role;
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

    // With intake notifications the buckets notify the monitor's regional topics themselves: nothing to forward.
    const patterns =
      config.intake === 'cloudtrail'
        ? objectWritePatterns(buckets, [props.account])
        : config.intake === 'eventbridge'
          ? objectCreatedPatterns(buckets, [props.account])
          : [];
    // Fixed rule names (`<stack>-ObjectWrites<i>`, unique per account and region like the stack name) let the role's
    // trust name the rules' ARNs without a dependency cycle (the rules reference the role).
    const ruleName = (i: number) => `${this.stackName}-ObjectWrites${i}`;
    const ruleArns = patterns.map((_, i) => `arn:${Aws.PARTITION}:events:${props.region}:${props.account}:rule/${ruleName(i)}`);
    if (patterns.length > 0) {
      const bus = events.EventBus.fromEventBusArn(
        this,
        'MonitorBus',
        `arn:${Aws.PARTITION}:events:${config.monitorRegion}:${monitorAccount}:event-bus/default`,
      );
      // EventBridge may assume it only for this stack's rules, in this account (confused-deputy protection).
      const forwardRole = new iam.Role(this, 'ForwardRole', {
        description: `crr-monitor agent: lets this stack's rules put events on the monitor bus of ${monitorAccount}`,
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
          StringEquals: { 'aws:SourceAccount': props.account },
          ArnEquals: { 'aws:SourceArn': ruleArns },
        }),
      });
      this.forwardRole = forwardRole;
      const what = config.intake === 'eventbridge' ? 'S3 Object Created events' : 'object writes (CloudTrail)';
      patterns.forEach((eventPattern, i) => {
        const rule = new events.Rule(this, `ObjectWrites${i}`, {
          ruleName: ruleName(i),
          description: `crr-monitor agent: ${what} of ${buckets.length} source bucket(s) → monitor account ${monitorAccount} (${i + 1}/${patterns.length})`,
          eventPattern,
        });
        rule.addTarget(new targets.EventBus(bus, { role: forwardRole }));
        this.rules.push(rule);
      });
    }

    if (props.home) {
      if (config.intake === 'cloudtrail')
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
