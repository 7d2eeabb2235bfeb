/**
 * `crr-monitor analyze`: replays recorded events (local files or S3 objects) through the same core the Lambdas use
 * and prints the report. The replay engine is engines/replay; this module is the command line around it.
 */
import { availableParallelism } from 'node:os';
import { analyze, listInputs } from '../../engines/replay/analyze';
import { Progress } from '../../engines/replay/progress';
import { analyzeS3Client, parseDay, parseS3Url, prefixesFor } from '../../engines/replay/s3';
import { renderHtml } from '../../engines/report/html';
import { formatTable, printable } from '../support/format';
import { RejectionLog } from '../support/rejections';
import { parseArguments, UsageError } from '../support/options';

export const usage = `  crr-monitor analyze [--pair SRC=DST]... [--config FILE] [--overdue-minutes 15] [--slo-minutes N] [--at ISO-TIME]
                      [--format table|json|html] [--threads N] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--endpoint-url URL]
                      [--max-line-bytes 4194304] [--max-inflated-bytes 536870912] [--max-document-bytes 134217728] PATH|s3://BUCKET/PREFIX...
      Replays recorded S3 write events (CloudTrail log files .json/.json.gz, folders of them, or
      JSON Lines files of EventBridge/CloudTrail/S3-notification/SNS/SQS events; local or in S3) and reports
      replication per bucket pair. Without --pair/--config, pairs are inferred from matching versions.
      The RPO section: versions replicated within --slo-minutes (default: the overdue threshold), per UTC day.
      s3://BUCKET/PREFIX reads the objects under the prefix; --since/--until (UTC days, inclusive) list only
      CloudTrail's YYYY/MM/DD folders in range. --threads: worker threads (default: the cores; 1: this thread).
      A longer line, a gzipped file inflating to more, or a larger log file is rejected and named;
      the rest is still analysed. After 1,000 rejection lines, stderr only counts them by reason.
`;

const OWN = {
  threads: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'endpoint-url': { type: 'string' },
} as const;

function threadsFrom(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const threads = Number(value);
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256)
    throw new UsageError(`--threads ${value}: expected a whole number from 1 to 256`);
  return threads;
}

function dayFrom(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const day = parseDay(value);
  if (day === undefined) throw new UsageError(`--${name} ${value}: expected a UTC day as YYYY-MM-DD, such as 2026-11-03`);
  return day;
}

export async function run(argv: string[]): Promise<number> {
  const { report: options, paths, help, limits, extra } = parseArguments(argv, OWN);
  if (help) {
    process.stdout.write(`Usage:\n${usage}`);
    return 0;
  }
  if (paths.length === 0) throw new UsageError('analyze needs at least one PATH or s3://BUCKET/PREFIX');
  const threads = threadsFrom(extra.threads as string | undefined);
  const since = dayFrom('since', extra.since as string | undefined);
  const until = dayFrom('until', extra.until as string | undefined);
  if (since !== undefined && until !== undefined && since > until)
    throw new UsageError(`--since ${extra.since} is after --until ${extra.until}`);
  const locations = paths.map(parseS3Url).filter((l) => l !== undefined);
  if ((since !== undefined || until !== undefined) && locations.length === 0)
    throw new UsageError('--since/--until choose the date folders of s3:// inputs');
  const today = Date.now();
  for (const { bucket, prefix } of locations) {
    try {
      prefixesFor(prefix, { since, until }, today);
    } catch (error) {
      throw new UsageError(`s3://${bucket}/${prefix}: ${(error as Error).message}`);
    }
  }
  const endpoint = extra['endpoint-url'] as string | undefined;

  const progress = process.stderr.isTTY ? new Progress((text) => process.stderr.write(text)) : undefined;
  const rejections = new RejectionLog((line) => {
    progress?.clear();
    process.stderr.write(line + '\n');
  });
  // A replication notice's s3Operation other than OBJECT_PUT: named once per value (where first seen), then counted.
  const operations = new Map<string, number>();
  const unseenOperation = (place: string, operation: string) => {
    const seen = operations.get(operation) ?? 0;
    if (seen === 0) {
      progress?.clear();
      process.stderr.write(
        `${place}: replication notice with s3Operation ${JSON.stringify(printable(operation))} (not OBJECT_PUT): counted as a metadata failure, not a data failure\n`,
      );
    }
    operations.set(operation, seen + 1);
  };
  let result;
  try {
    result = await analyze(
      listInputs(paths, { client: () => analyzeS3Client(endpoint), since, until, today }),
      { pairs: options.pairs, overdueMinutes: options.overdueMinutes, sloMinutes: options.sloMinutes, at: options.at, limits, threads },
      { reject: (place, reason) => rejections.reject(place, reason), unseenOperation, progress },
    );
  } finally {
    progress?.end();
  }
  rejections.finish();
  for (const [operation, count] of operations)
    if (count > 1) process.stderr.write(`s3Operation ${JSON.stringify(printable(operation))}: ${count} replication notices in all\n`);
  const { report, detail } = result;
  process.stdout.write(
    options.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : options.format === 'html'
        ? renderHtml({ title: 'S3 replication report', replication: report, latencyHistogram: detail.latencyHistogram })
        : formatTable(report, detail),
  );
  if (!result.analysed) {
    process.stderr.write('crr-monitor: no input could be read\n');
    return 2;
  }
  return 0;
}
