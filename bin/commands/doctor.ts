/**
 * `crr-monitor doctor [--config FILE] [--format table|json]`: checks the live setup against the config
 * (versioning, replication rules and their metrics, replication notifications, S3 Inventory for reconcile, the trail,
 * the stacks, the agent roles), read-only. Exit 0 when nothing fails, 1 when a check fails, 2 on usage errors.
 */
import { gatherFacts } from '../support/doctor-probe';
import { runChecks, type Check } from '../support/doctor-checks';
import { configOption, formatOption, parseCommand, renderTable, STDIO, UsageError, type CommandIo } from '../support/operator-args';
import { describeError, OperatorClients } from '../support/operator-clients';

export const usage = `  crr-monitor doctor [--config FILE] [--format table|json]
      Checks the deployed setup against the config (default crr-monitor.config.json): versioning on every bucket,
      an enabled replication rule with metrics for every pair, s3:Replication:* notifications to the forwarder
      topic, an all-versions S3 Inventory with the fields reconcile needs on every bucket (and, with the config's
      reconcile, EventBridge on its inventory bucket), a trail logging the buckets' object writes, the stacks, the
      agent read roles. Read-only.
      Exit 0: nothing failed; 1: a check failed; 2: usage error.
`;

export async function run(argv: string[], io: CommandIo = STDIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string' } });
  if (values.help) {
    io.out(`Usage:\n${usage}`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`doctor takes no arguments (got '${positionals[0]}')`);
  const format = formatOption(values.format);
  const config = configOption(values.config);
  // Every region doctor looks at comes from the config (monitorRegion, regions); --region has nothing to add.
  if (values.region !== undefined) throw new UsageError('doctor reads its regions from the config: --region does not apply');

  let facts;
  try {
    facts = await gatherFacts(config, new OperatorClients(config.monitorRegion));
  } catch (error) {
    // Only STS GetCallerIdentity throws (every other answer is a check's result): no usable credentials.
    io.err(`crr-monitor: cannot tell which account these credentials belong to (STS GetCallerIdentity): ${describeError(error).error}\n`);
    return 1;
  }
  const checks = runChecks(config, facts);
  const count = (status: Check['status']) => checks.filter((c) => c.status === status).length;
  const summary = { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
  if (format === 'json') io.out(JSON.stringify({ checks, summary }, null, 2) + '\n');
  else io.out(formatChecks(checks, summary));
  return summary.fail > 0 ? 1 : 0;
}

export function formatChecks(checks: readonly Check[], summary: Record<Check['status'], number>): string {
  const rows = checks.map((c) => [c.status.toUpperCase(), c.check, c.subject, c.detail]);
  const out = renderTable(['RESULT', 'CHECK', 'SUBJECT', 'DETAIL'], rows);
  const fixes = checks.filter((c) => c.status !== 'pass' && c.fix);
  if (fixes.length > 0) {
    out.push('', 'To fix:');
    for (const c of fixes) out.push(`  ${c.check} ${c.subject}: ${c.fix}`);
  }
  out.push('', `${summary.pass} passed, ${summary.warn} warnings, ${summary.fail} failed, ${summary.skip} skipped`);
  return out.join('\n') + '\n';
}
