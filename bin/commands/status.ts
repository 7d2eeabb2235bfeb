/**
 * `crr-monitor status`: the live replication report from the deployed table (analyze's JSON schema, plus each pair's
 * backlog), or, given `s3://BUCKET/KEY`, that version in its source and every configured destination.
 */
import { renderHtml } from '../../engines/report/html';
import { TableReader } from '../../lambda/adapters/table-reader';
import { formatBytes, formatTable } from '../support/format';
import { liveReport, type LiveReport } from '../../engines/replay/live-report';
import { objectStatus, placesOf, type VersionView } from '../support/object-status';
import {
  configOption,
  formatOption,
  pairsFrom,
  parseCommand,
  regionOption,
  renderTable,
  STDIO,
  timeOption,
  UsageError,
  type CommandIo,
} from '../support/operator-args';
import { OperatorClients, tableProblem } from '../support/operator-clients';
import { locateTable, TableNotFound } from '../support/table-locator';
import { minutesOption } from '../support/options';
import { CONFIG_DEFAULTS, sloMinutesOf } from '../../lambda/shared/config';

export const usage = `  crr-monitor status [--stack NAME | --table NAME] [--pair SRC=DST]... [--config FILE] [--at ISO] [--since ISO]
                     [--slo-minutes N] [--region R] [--format table|json|html]
      The live report from the deployed table (analyze's schema) plus each pair's backlog: pending versions,
      oldest / p50 / p90 pending age, pending bytes. Reads the due and attention indexes, never a Scan.
      The RPO section: versions replicated within --slo-minutes (default: the config's sloMinutes, else the overdue
      threshold), per UTC day of the source write.
  crr-monitor status s3://BUCKET/KEY [--version-id ID] [--pair SRC=DST]... [--config FILE] [--region R] [--format]
      The version in its source and every configured destination: replication status, size, ETag, checksums,
      verified / differs / unknown. Exit 1 when a replica differs or the source version is not found.
`;

const OPTIONS = {
  pair: { type: 'string', multiple: true },
  config: { type: 'string' },
  table: { type: 'string' },
  stack: { type: 'string' },
  at: { type: 'string' },
  since: { type: 'string' },
  'slo-minutes': { type: 'string' },
  'version-id': { type: 'string' },
} as const;

export async function run(argv: string[], io: CommandIo = STDIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, true);
  if (values.help) {
    io.out(`Usage:\n${usage}`);
    return 0;
  }
  const format = formatOption(values.format, ['table', 'json', 'html']);
  const config = values.config !== undefined ? configOption(values.config) : undefined;
  const pairs = pairsFrom(values.pair, config);
  if (pairs.length === 0) throw new UsageError('status needs the pairs: --config FILE or --pair SRC=DST');
  const region = regionOption(values.region, config);
  const clients = new OperatorClients(region);
  if (positionals.length > 1) throw new UsageError(`status takes at most one s3://BUCKET/KEY (got ${positionals.length})`);

  if (positionals.length === 1) {
    for (const name of ['table', 'stack', 'at', 'since', 'slo-minutes'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} does not apply to status s3://BUCKET/KEY`);
    }
    if (format === 'html') throw new UsageError('--format html is for the report, not status s3://BUCKET/KEY');
    const match = /^s3:\/\/([^/]+)\/(.+)$/s.exec(positionals[0]);
    if (!match) throw new UsageError(`${positionals[0]}: expected s3://BUCKET/KEY`);
    const [, bucket, key] = match;
    const places = placesOf(bucket, pairs);
    if (places.length === 0) throw new UsageError(`${bucket} is in no configured pair`);
    let failed = false;
    const all: VersionView[][] = [];
    for (const place of places) {
      const views = await objectStatus(clients.s3(), place.source, place.destinations, key, values['version-id']);
      all.push(views);
      if (views[0].outcome !== 'found' || views.some((v) => v.verdict === 'differs')) failed = true;
    }
    if (format === 'json') io.out(JSON.stringify({ key, versions: all.flat() }, null, 2) + '\n');
    else io.out(formatViews(key, all.flat()));
    return failed ? 1 : 0;
  }

  if (values['version-id'] !== undefined) throw new UsageError('--version-id needs s3://BUCKET/KEY');
  const at = timeOption('at', values.at) ?? Date.now();
  const retentionHours = config?.retentionHours ?? 24;
  const since = timeOption('since', values.since) ?? at - retentionHours * 3_600_000;
  const overdueMinutes = config?.overdueMinutes ?? CONFIG_DEFAULTS.overdueMinutes;
  const sloMinutes = sloMinutesOf({
    sloMinutes: minutesOption('slo-minutes', values['slo-minutes']) ?? config?.sloMinutes,
    overdueMinutes,
  });
  let tableName: string;
  try {
    tableName = await locateTable({ table: values.table, stack: values.stack }, () => clients.cloudformation());
  } catch (error) {
    if (!(error instanceof TableNotFound)) throw error;
    io.err(`crr-monitor: ${error.message}\n`);
    return 1;
  }
  const reader = new TableReader({ client: clients.dynamodb(), tableName });
  let live;
  try {
    live = await liveReport(reader, { pairs, at, since, overdueMillis: overdueMinutes * 60_000, sloMillis: sloMinutes * 60_000 });
  } catch (error) {
    const problem = tableProblem(error, tableName);
    if (!problem) throw error;
    io.err(`crr-monitor: ${problem}\n`);
    return 1;
  }
  const { report, detail } = live;
  if (format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'html')
    io.out(
      renderHtml({
        title: 'S3 replication status',
        replication: report,
        latencyHistogram: detail.latencyHistogram,
        backlog: report.backlog,
      }),
    );
  else io.out(formatTable(report, detail) + formatBacklog(report));
  return 0;
}

const secs = (v: number | null) => (v === null ? '-' : `${Number(v.toFixed(1))}s`);

function formatBacklog(report: LiveReport): string {
  const rows = report.backlog.map((b) => [
    b.source,
    b.destination,
    String(b.pending),
    secs(b.oldestPendingSeconds),
    secs(b.pendingAgeSeconds.p50),
    secs(b.pendingAgeSeconds.p90),
    formatBytes(b.pendingBytes),
  ]);
  const out = [
    '',
    'Backlog:',
    ...renderTable(['SOURCE', 'DESTINATION', 'PENDING', 'OLDEST', 'P50 AGE', 'P90 AGE', 'BYTES'], rows, new Set([2, 3, 4, 5, 6])),
  ];
  out.push(
    '',
    `Read: ${report.read.dueEntries} due + ${report.read.attentionEntries} attention index entries, ${report.read.records} records`,
  );
  return out.join('\n') + '\n';
}

function formatViews(key: string, views: VersionView[]): string {
  const rows = views.map((v) => [
    v.role,
    v.bucket,
    v.outcome === 'found' ? (v.replicationStatus ?? '(none)') : v.outcome.toUpperCase(),
    v.versionId ?? '-',
    v.bytes !== undefined ? String(v.bytes) : '-',
    v.etag ?? '-',
    Object.entries(v.checksums)
      .map(([a, c]) => `${a}:${c}`)
      .join(' ') || '-',
    v.verdict ? `${v.verdict}${v.verdictDetail ? ` (${v.verdictDetail})` : ''}` : (v.error ?? ''),
  ]);
  return (
    [
      `Object ${key}`,
      '',
      ...renderTable(['ROLE', 'BUCKET', 'STATUS', 'VERSION', 'SIZE', 'ETAG', 'CHECKSUMS', 'VERDICT'], rows, new Set([4])),
    ].join('\n') + '\n'
  );
}
