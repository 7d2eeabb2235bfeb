/**
 * Which table the operator commands read: `--table NAME` as given, or the `TableName` output of the stack named by
 * `--stack` (default MonitorStack; lib/stacks/monitor-stack.ts declares that output). One DescribeStacks call.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { MONITOR_STACK_NAME } from '../../lib/names';
import { UsageError } from './options';

/** The CfnOutput id MonitorStack gives its table's name. */
const TABLE_OUTPUT = 'TableName';

export class TableNotFound extends Error {}

export async function locateTable(
  options: { table?: string; stack?: string },
  cloudformation: () => CloudFormationClient,
): Promise<string> {
  if (options.table !== undefined && options.stack !== undefined) throw new UsageError('give --table or --stack, not both');
  if (options.table !== undefined) return options.table;
  const stackName = options.stack ?? MONITOR_STACK_NAME;
  let outputs;
  try {
    outputs = (await cloudformation().send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs;
  } catch (error) {
    if (/does not exist/.test((error as Error).message))
      throw new TableNotFound(`stack ${stackName} does not exist in this account and region (--region?)`);
    throw error;
  }
  const name = outputs?.find((o) => o.OutputKey === TABLE_OUTPUT)?.OutputValue;
  if (!name) throw new TableNotFound(`stack ${stackName} has no ${TABLE_OUTPUT} output: pass --table NAME`);
  return name;
}
