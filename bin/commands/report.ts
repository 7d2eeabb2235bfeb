/**
 * `crr-monitor report --archive PATH|s3://BUCKET/PREFIX`: RPO compliance over months, from the archive's files
 * (engines/report/archive.ts, embedded DuckDB): the same `slo` object analyze and status print, per pair and per UTC
 * day of the source write, over every finished version the archive holds.
 */
import { archiveSlo, ArchiveError } from '../../engines/report/archive';
import { renderHtml } from '../../engines/report/html';
import { CONFIG_DEFAULTS, sloMinutesOf } from '../../lambda/shared/config';
import { localArchive, s3Archive, type ArchiveFiles } from '../support/archive-files';
import { rpoSection } from '../support/format';
import { minutesOption } from '../support/options';
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
import { OperatorClients, describeError } from '../support/operator-clients';

export const usage = `  crr-monitor report --archive PATH|s3://BUCKET/PREFIX [--pair SRC=DST]... [--config FILE] [--slo-minutes N]
                     [--since ISO] [--until ISO] [--at ISO] [--region R] [--format table|json|html]
      RPO compliance from the archive (the Firehose files lambda/archive writes, GZIP JSON Lines): the latest row of
      each version and pair, per pair and per UTC day of the source write in [--since, --until). Failed versions are
      aged to --at (default: the latest row's recordedAt). JSON: { asOf, slo, read: { files, rows, versions, rejected } }.
`;

const OPTIONS = {
  archive: { type: 'string' },
  pair: { type: 'string', multiple: true },
  config: { type: 'string' },
  'slo-minutes': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  at: { type: 'string' },
} as const;

export async function run(argv: string[], io: CommandIo = STDIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS);
  if (values.help) {
    io.out(`Usage:\n${usage}`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`report takes no positional arguments (got ${positionals.join(' ')})`);
  const format = formatOption(values.format, ['table', 'json', 'html']);
  const archive = values.archive;
  if (archive === undefined) throw new UsageError('report needs --archive PATH or --archive s3://BUCKET/PREFIX');
  const config = values.config !== undefined ? configOption(values.config) : undefined;
  const pairs = pairsFrom(values.pair, config);
  const sloMinutes = sloMinutesOf({
    sloMinutes: minutesOption('slo-minutes', values['slo-minutes']) ?? config?.sloMinutes,
    overdueMinutes: config?.overdueMinutes ?? CONFIG_DEFAULTS.overdueMinutes,
  });
  const since = timeOption('since', values.since);
  const until = timeOption('until', values.until);
  const at = timeOption('at', values.at);
  let files: ArchiveFiles;
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/s.exec(archive);
  try {
    if (s3) files = await s3Archive(new OperatorClients(regionOption(values.region, config)).s3(), s3[1], s3[2], since);
    else files = localArchive(archive, since);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    io.err(`crr-monitor: --archive ${archive}: ${code === 'ENOENT' ? 'no such file or directory' : describeError(error).error}\n`);
    return 1;
  }
  let result;
  try {
    result = await archiveSlo(files.files, { objectiveSeconds: sloMinutes * 60, pairs, since, until, at });
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    io.err(`crr-monitor: archive unreadable: ${error.message}\n`);
    return 1;
  } finally {
    files.cleanup();
  }
  if (result.read.rejected > 0)
    io.err(
      `crr-monitor: ${result.read.rejected} archive rows rejected: missing source, destination, key, versionId, state, revision, sourceAt or recordedAt\n`,
    );
  if (format === 'json') io.out(JSON.stringify(result, null, 2) + '\n');
  else if (format === 'html') io.out(renderHtml({ title: 'RPO compliance from the archive', slo: result.slo }));
  else {
    const lines = [
      `RPO report from the archive as of ${result.asOf ?? '-'}: ${result.read.files} files, ${result.read.rows} rows, ${result.read.versions} versions`,
      ...(result.slo.pairs.length ? rpoSection(result.slo) : ['', 'No archived versions.']),
    ];
    io.out(lines.join('\n') + '\n');
  }
  return 0;
}
