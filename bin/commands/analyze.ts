/**
 * `crr-monitor analyze`: replays recorded events through the same core the Lambdas use and prints the report.
 */
import {
  emptyParseResult,
  formatRejection,
  parseTextInto,
  reportOnRecords,
  VersionTracker,
  type ReplicationReport,
  type ReportDetail,
} from '../../lambda/core';
import { renderHtml } from '../../engines/report/html';
import { formatTable, printable } from '../support/format';
import { DEFAULT_LIMITS, placeOf, readInputs, type InputLimits, type InputUnit } from '../support/inputs';
import { RejectionLog } from '../support/rejections';
import { parseArguments, UsageError, type ReportOptions } from '../support/options';

export interface AnalyzeResult {
  readonly report: ReplicationReport;
  readonly detail: ReportDetail;
  /** Whether any input could be read and parsed at all (exit code 2 when not). */
  readonly analysed: boolean;
  /** Object versions tracked (for memory figures). */
  readonly versions: number;
}

/**
 * Replays recorded events through the core, exactly as the drain Lambda applies them, and reports.
 * Problems are reported through `warn` (one line each, naming file and line) and counted as rejected.
 */
export async function analyze(
  paths: readonly string[],
  options: ReportOptions,
  warn: (line: string) => void,
  /** Called once every input is applied, while the merged records are still held (memory probes). */
  onReplayed?: (versions: number) => void,
  limits: InputLimits = DEFAULT_LIMITS,
): Promise<AnalyzeResult> {
  const tracker = new VersionTracker();
  const rejections = new RejectionLog(warn);
  let ignored = 0;
  let analysed = false;
  const reject = (place: string, reason: string) => rejections.reject(place, reason);
  const parsed = emptyParseResult();
  // A replication notice's s3Operation other than OBJECT_PUT: named once per value (where first seen), then counted.
  const operations = new Map<string, number>();
  const noteOperation = (place: string, operation: string) => {
    const seen = operations.get(operation) ?? 0;
    if (seen === 0)
      warn(
        `${place}: replication notice with s3Operation ${JSON.stringify(printable(operation))} (not OBJECT_PUT): counted as a metadata failure, not a data failure`,
      );
    operations.set(operation, seen + 1);
  };
  await readInputs(
    paths,
    {
      unit(unit: InputUnit) {
        parseTextInto(unit.text, parsed);
        ignored += parsed.ignored;
        for (const rejection of parsed.rejected) reject(placeOf(unit), formatRejection(rejection));
        for (const operation of parsed.unseenOperations ?? []) noteOperation(placeOf(unit), operation);
        // A document rejected whole (bad JSON, unknown shape) has not been analysed.
        if (parsed.events.length > 0 || parsed.ignored > 0 || parsed.rejected.length === 0) analysed = true;
        for (const event of parsed.events) {
          const unplaced = tracker.apply(event);
          if (unplaced === 'missing-version-id') {
            reject(
              placeOf(unit),
              `${event.type === 'write' ? event.operation : 'event'} s3://${event.bucket}/${event.key} has no x-amz-version-id; only the monitor (HeadObject) can resolve it`,
            );
          } else if (unplaced === 'no-replication-state') {
            ignored++;
          }
        }
      },
      failure(failure) {
        reject(placeOf(failure), failure.reason);
      },
    },
    limits,
  );
  rejections.finish();
  for (const [operation, count] of operations)
    if (count > 1) warn(`s3Operation ${JSON.stringify(printable(operation))}: ${count} replication notices in all`);
  const rejected = rejections.count;
  onReplayed?.(tracker.size);
  const { report, detail } = reportOnRecords(
    () => tracker.records(),
    {
      pairs: options.pairs,
      overdueMillis: options.overdueMinutes * 60_000,
      sloMillis: options.sloMinutes * 60_000,
      at: options.at,
      fallbackAt: Date.now(),
    },
    { rejected, ignored },
  );
  return { report, detail, analysed, versions: tracker.size };
}

export const usage = `  crr-monitor analyze [--pair SRC=DST]... [--config FILE] [--overdue-minutes 15] [--slo-minutes N] [--at ISO-TIME]
                      [--format table|json|html]
                      [--max-line-bytes 4194304] [--max-inflated-bytes 536870912] [--max-document-bytes 134217728] PATH...
      Replays recorded S3 write events (CloudTrail log files .json/.json.gz, folders of them, or
      JSON Lines files of EventBridge/CloudTrail/S3-notification/SNS/SQS events) and reports
      replication per bucket pair. Without --pair/--config, pairs are inferred from matching versions.
      The RPO section: versions replicated within --slo-minutes (default: the overdue threshold), per UTC day.
      A longer line, a gzipped file inflating to more, or a larger log file is rejected and named;
      the rest is still analysed. After 1,000 rejection lines, stderr only counts them by reason.
`;

export async function run(argv: string[]): Promise<number> {
  const { report: options, paths, help, limits } = parseArguments(argv);
  if (help) {
    process.stdout.write(`Usage:\n${usage}`);
    return 0;
  }
  if (paths.length === 0) throw new UsageError('analyze needs at least one PATH');
  const result = await analyze(paths, options, (line) => process.stderr.write(line + '\n'), undefined, limits);
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
