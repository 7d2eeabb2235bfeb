/**
 * The construct library's public surface: another CDK app composes crr-monitor from these. `addCrrMonitorStacks`
 * builds every stack of a config the way `bin/app.ts` does; the stacks can also be created one by one with their
 * props. Configs are validated (`validateConfig`) or read from a file (`loadConfig`) first: the stacks rely on the
 * defaults and cross-field rules the validation applies.
 */
export { addCrrMonitorStacks, type CrrMonitorStacks } from './app';
export { DEFAULT_CONFIG_FILE, loadConfig } from './config-loader';
export { ConfigError, validateConfig, type MonitorConfig, type ReplicationRule } from '../lambda/shared/config';
export { MonitorStack, handlerConfig, type MonitorStackProps } from './stacks/monitor-stack';
export { ForwarderStack, type ForwarderStackProps } from './stacks/forwarder-stack';
export { AgentStack, type AgentStackProps } from './stacks/agent-stack';
export {
  MONITOR_STACK_NAME,
  METRICS_TOPIC_NAME,
  QUEUE_NAME,
  agentRoleName,
  agentStackName,
  drainRoleName,
  forwarderStackName,
  forwarderTopicName,
  redriveRoleName,
  sweepRoleName,
} from './names';
export type { HandlerConfig } from '../lambda/shared/contract';
