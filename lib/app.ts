import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { sourceAccounts, type MonitorConfig } from '../lambda/shared/config';
import { agentStackName, forwarderStackName, MONITOR_STACK_NAME } from './names';
import { AgentStack } from './stacks/agent-stack';
import { ForwarderStack } from './stacks/forwarder-stack';
import { MonitorStack } from './stacks/monitor-stack';

export interface CrrMonitorStacks {
  readonly monitor: MonitorStack;
  readonly forwarders: ForwarderStack[];
  readonly agents: AgentStack[];
}

/**
 * Every stack of a validated config:
 * - `MonitorStack` in monitorRegion (account: monitorAccount if set, else the deploying credentials' account);
 * - `CrrForwarder-<region>` for each of `regions`, in the monitor's account;
 * - `AgentStack-<account>-<region>` for each remote source account, in each of `regions` and the monitor region
 *   (the one in the monitor region holds that account's trail and read role).
 */
export function addCrrMonitorStacks(app: App, config: MonitorConfig): CrrMonitorStacks {
  const monitorEnv = (region: string): Environment => ({ region, account: config.monitorAccount });
  const monitor = new MonitorStack(app, MONITOR_STACK_NAME, { config, env: monitorEnv(config.monitorRegion) });
  const forwarders = config.regions.map(
    (region) => new ForwarderStack(app, forwarderStackName(region), { config, region, env: monitorEnv(region) }),
  );
  // With intake notifications an agent forwards nothing (the buckets notify the monitor's topics): only the home stack.
  const agentRegions =
    config.intake === 'notifications'
      ? [config.monitorRegion]
      : [config.monitorRegion, ...config.regions.filter((r) => r !== config.monitorRegion)];
  const agents = sourceAccounts(config).flatMap((account) =>
    agentRegions.map(
      (region) => new AgentStack(app, agentStackName(account, region), { config, account, region, home: region === config.monitorRegion }),
    ),
  );
  for (const stack of [monitor, ...forwarders, ...agents]) Tags.of(stack).add('application', 'crr-monitor');
  return { monitor, forwarders, agents };
}
