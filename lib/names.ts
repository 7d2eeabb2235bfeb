/**
 * Names and ARNs that cross stack, account or region boundaries. Everything else is named by CloudFormation; what the
 * handlers read (environment, table layout, CONFIG_JSON) is in the contract module, lambda/shared/contract.ts.
 */

/** The alarm topic (documented fixed name: users subscribe to it). */
export const METRICS_TOPIC_NAME = 'CRRMonitorMetricsTopic';
/** The central queue (documented fixed name: the regional forwarder stacks subscribe it by ARN). */
export const QUEUE_NAME = 'CRRMonitorQueue';

/** IAM names are account-global: the monitor region in the name lets one account run monitors in two regions. */
export const drainRoleName = (monitorRegion: string) => `crr-monitor-drain-${monitorRegion}`;
export const sweepRoleName = (monitorRegion: string) => `crr-monitor-sweep-${monitorRegion}`;
/** The read-only role each AgentStack creates in a source account; the monitor assumes it for HeadObject. */
export const agentRoleName = (monitorRegion: string) => `crr-monitor-agent-read-${monitorRegion}`;
/** The role operators assume to redrive the DLQ into CRRMonitorQueue: the queue policy's only exception for people. */
export const redriveRoleName = (monitorRegion: string) => `crr-monitor-redrive-${monitorRegion}`;

export const roleArn = (partition: string, account: string, name: string) => `arn:${partition}:iam::${account}:role/${name}`;

/** Stack names. */
export const MONITOR_STACK_NAME = 'MonitorStack';
export const forwarderStackName = (region: string) => `CrrForwarder-${region}`;
export const agentStackName = (account: string, region: string) => `AgentStack-${account}-${region}`;

/** The SNS topic of one forwarder stack: named after its stack, so the monitor's queue policy can name it exactly. */
export const forwarderTopicName = (region: string) => `${forwarderStackName(region)}-Events`;
