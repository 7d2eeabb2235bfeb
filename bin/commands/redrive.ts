/**
 * `crr-monitor redrive`: the failed (or overdue) versions of one pair, from the table's attention index, as an S3
 * Batch Operations manifest; with --execute, an S3 Batch Replication job over it. S3 never retries a FAILED version
 * by itself, and Batch Replication's own manifest generator lists the whole bucket: this lists exactly the versions
 * the monitor holds as failed. With --from-reconcile, the manifest is one `reconcile --manifest` wrote from S3
 * Inventory (every version, not only the table's retention), checked line by line before anything is started.
 */
import { GetBucketLocationCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { TableReader } from '../../lambda/adapters/table-reader';
import { partitionOf } from '../../lambda/shared/config';
import { selectVersions, type SelectionCounts } from '../support/attention-selection';
import { readManifestFile, startReplicationJob, writeManifest } from '../support/batch-replication';
import { regionOfLocation } from '../support/doctor-probe';
import {
  configOption,
  formatOption,
  pairsFrom,
  parseCommand,
  regionOption,
  STDIO,
  timeOption,
  UsageError,
  type CommandIo,
} from '../support/operator-args';
import { OperatorClients, tableProblem } from '../support/operator-clients';
import { locateTable, TableNotFound } from '../support/table-locator';

export const usage = `  crr-monitor redrive --pair SRC=DST [--state failed|overdue] [--since ISO] [--until ISO] [--manifest FILE|-]
                      [--table NAME | --stack NAME] [--config FILE] [--region R] [--format table|json]
                      [--execute --report-bucket BUCKET --role-arn ARN]
  crr-monitor redrive --pair SRC=DST --from-reconcile FILE [--region R] [--format table|json]
                      [--execute --report-bucket BUCKET --role-arn ARN]
      Writes an S3 Batch Operations manifest (CSV bucket,key,versionId) of the pair's failed (or overdue) versions
      whose source write is in [--since, --until], read from the table's attention index. Dry run by default;
      --execute uploads it to the report bucket and starts an S3 Batch Replication job, completion report included.
      --from-reconcile FILE: the manifest \`reconcile --manifest\` wrote (every line the pair's source bucket), instead of
      the table's.
`;

const OPTIONS = {
  pair: { type: 'string', multiple: true },
  state: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  manifest: { type: 'string' },
  table: { type: 'string' },
  stack: { type: 'string' },
  config: { type: 'string' },
  execute: { type: 'boolean' },
  'report-bucket': { type: 'string' },
  'role-arn': { type: 'string' },
  'from-reconcile': { type: 'string' },
} as const;

const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export async function run(argv: string[], io: CommandIo = STDIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS);
  if (values.help) {
    io.out(`Usage:\n${usage}`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`redrive takes no arguments (got '${positionals[0]}')`);
  const format = formatOption(values.format);
  if (!values.pair || values.pair.length !== 1) throw new UsageError('redrive needs exactly one --pair SRC=DST');
  const config = values.config !== undefined ? configOption(values.config) : undefined;
  const [pair] = pairsFrom(values.pair, undefined);
  const state = values.state ?? 'failed';
  if (state !== 'failed' && state !== 'overdue') throw new UsageError(`--state ${state}: expected failed or overdue`);
  const since = timeOption('since', values.since);
  const until = timeOption('until', values.until);
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until');
  const toStdout = values.manifest === '-';
  if (values.execute) {
    if (!values['report-bucket'] || !values['role-arn']) throw new UsageError('--execute needs --report-bucket BUCKET and --role-arn ARN');
    if (!ROLE_ARN.test(values['role-arn']))
      throw new UsageError(`--role-arn ${values['role-arn']}: expected arn:aws:iam::ACCOUNT:role/NAME`);
    if (toStdout) throw new UsageError('--execute uploads the manifest file: --manifest - (stdout) does not apply');
  } else if (values['report-bucket'] || values['role-arn']) {
    throw new UsageError('--report-bucket and --role-arn apply only with --execute');
  }
  const fromReconcile = values['from-reconcile'];
  if (fromReconcile !== undefined) {
    for (const name of ['state', 'since', 'until', 'manifest', 'table', 'stack'] as const)
      if (values[name] !== undefined) throw new UsageError(`--${name} does not apply with --from-reconcile (the file is the manifest)`);
  }
  const region = regionOption(values.region, config);
  const clients = new OperatorClients(region);
  const now = Date.now();
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const result: Record<string, unknown> = { source: pair.source, destination: pair.destination };
  let count: number;
  let manifest: string;
  let what: string;
  if (fromReconcile !== undefined) {
    try {
      count = await readManifestFile(fromReconcile, pair.source);
    } catch (error) {
      io.err(`crr-monitor: --from-reconcile ${(error as Error).message}\n`);
      return 1;
    }
    manifest = fromReconcile;
    what = `${count} version(s) of ${pair.source} → ${pair.destination} in ${fromReconcile} (from reconcile)`;
    Object.assign(result, { from: 'reconcile', count, manifest });
  } else {
    const selected = await fromTable();
    if (typeof selected === 'number') return selected;
    ({ count, manifest, what } = selected);
  }
  return finish();

  /** The table's failed (or overdue) versions, written to the manifest; an exit code when the table cannot be read. */
  async function fromTable(): Promise<{ count: number; manifest: string; what: string } | number> {
    let tableName: string;
    try {
      tableName = await locateTable({ table: values.table, stack: values.stack }, () => clients.cloudformation());
    } catch (error) {
      if (!(error instanceof TableNotFound)) throw error;
      io.err(`crr-monitor: ${error.message}\n`);
      return 1;
    }
    const manifest = toStdout ? '-' : (values.manifest ?? `redrive-${pair.source}-${pair.destination}-${stamp}.csv`);
    const reader = new TableReader({ client: clients.dynamodb(), tableName });
    const counts: SelectionCounts = { indexed: 0, recordsRead: 0 };
    const selection = selectVersions(
      reader,
      {
        pair,
        pairs: pairsFrom([], config),
        state: state === 'failed' ? 'FAILED' : 'OVERDUE',
        since,
        until,
        at: now,
        overdueMillis: (config?.overdueMinutes ?? 15) * 60_000,
      },
      counts,
    );
    let count: number;
    try {
      count = await writeManifest(selection, pair.source, toStdout ? undefined : manifest, io.out);
    } catch (error) {
      const problem = tableProblem(error, tableName);
      if (!problem) throw error;
      io.err(`crr-monitor: ${problem}\n`);
      return 1;
    }

    Object.assign(result, { state, table: tableName, count, manifest, ...counts });
    return {
      count,
      manifest,
      what:
        `${count} ${state} version(s) of ${pair.source} → ${pair.destination} in table ${tableName}` +
        (toStdout ? '' : `: manifest ${manifest}`),
    };
  }

  /** Starts the job when asked (and there is something to redrive), then says what happened. */
  async function finish(): Promise<number> {
    if (values.execute && count > 0) {
      const sourceRegion = regionOfLocation(
        (await clients.s3(region).send(new GetBucketLocationCommand({ Bucket: pair.source }))).LocationConstraint,
      );
      const accountId = (await clients.sts(sourceRegion).send(new GetCallerIdentityCommand({}))).Account;
      if (!accountId) throw new Error('STS GetCallerIdentity returned no account');
      // Batch Replication jobs run in the source bucket's region.
      const { jobId, manifestKey } = await startReplicationJob(
        {
          accountId,
          partition: partitionOf(sourceRegion),
          source: pair.source,
          destination: pair.destination,
          reportBucket: values['report-bucket']!,
          roleArn: values['role-arn']!,
          manifestFile: manifest,
          count,
          stamp,
        },
        { s3: clients.s3(sourceRegion), s3control: clients.s3control(sourceRegion) },
      );
      Object.assign(result, {
        jobId,
        region: sourceRegion,
        uploaded: `s3://${values['report-bucket']}/${manifestKey}`,
        follow: `aws s3control describe-job --account-id ${accountId} --job-id ${jobId} --region ${sourceRegion}`,
      });
    }

    const say = toStdout ? io.err : io.out;
    if (format === 'json') {
      say(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const lines = [what];
    if (result.jobId) {
      lines.push(
        `S3 Batch Replication job ${result.jobId} started in ${result.region} (manifest ${result.uploaded}).`,
        `Follow it: ${result.follow}`,
      );
    } else if (values.execute) {
      lines.push('Nothing to redrive: no job started.');
    } else {
      lines.push('Dry run: nothing was started. Add --execute --report-bucket BUCKET --role-arn ARN to start an S3 Batch Replication job.');
    }
    say(lines.join('\n') + '\n');
    return 0;
  }
}
