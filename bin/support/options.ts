/**
 * The command line of every command, parsed with `node:util`'s `parseArgs` (strict): the options `analyze`
 * and `local --events` share (so both report on the same terms) plus each command's own. A mistake becomes a
 * `UsageError` naming the option, printed with the command's usage, exit code 2.
 */
import { parseArgs } from 'node:util';
import { bucketNameProblem, ConfigError, replicationPairs, sloMinutesOf } from '../../lambda/shared/config';
import { loadConfig } from '../../lib/config-loader';
import { parseIsoTime, type ReplicationPair } from '../../lambda/core';
import { DEFAULT_LIMITS, type InputLimits } from '../../engines/replay/inputs';

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

type OutputFormat = 'table' | 'json' | 'html';

interface ReportOptions {
  /** Configured pairs (`--pair` and `--config`); empty means infer them from the events. */
  readonly pairs: ReplicationPair[];
  readonly overdueMinutes: number;
  /** The recovery point objective of the report's `slo` section (`--slo-minutes`, config `sloMinutes`). */
  readonly sloMinutes: number;
  /** Evaluation time; undefined means the latest event time seen. */
  readonly at?: number;
  readonly format: OutputFormat;
}

const DEFAULT_OVERDUE_MINUTES = 15;

/** A command's own options, in `parseArgs`' terms. */
export type OwnOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface ParsedArguments {
  readonly report: ReportOptions;
  readonly paths: string[];
  /** Bounds on reading the inputs (`--max-line-bytes`, `--max-inflated-bytes`, `--max-document-bytes`). */
  readonly limits: InputLimits;
  /** `--help` / `-h` was given. */
  readonly help: boolean;
  /** The command's own options, by name without dashes. */
  readonly extra: Record<string, string | boolean | undefined>;
}

const SHARED = {
  pair: { type: 'string', multiple: true },
  config: { type: 'string' },
  'overdue-minutes': { type: 'string' },
  'slo-minutes': { type: 'string' },
  at: { type: 'string' },
  format: { type: 'string' },
  'max-line-bytes': { type: 'string' },
  'max-inflated-bytes': { type: 'string' },
  'max-document-bytes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function byteSize(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = values[name] as string | undefined;
  if (value === undefined) return fallback;
  const bytes = Number(value);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`--${name} ${value}: expected a positive whole number of bytes`);
  return bytes;
}

/**
 * Parses `[--pair SRC=DST]... [--config FILE] [--overdue-minutes N] [--at ISO] [--format table|json] PATH...`
 * plus the command's own options. `--name=value` works too; `--` ends the options.
 */
export function parseArguments(argv: readonly string[], own: OwnOptions = {}): ParsedArguments {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: { ...own, ...SHARED }, strict: true, allowPositionals: true }));
  } catch (error) {
    // parseArgs names the option in its message; drop its long hint about positionals.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((error as Error).message.split('. To specify')[0]);
    throw error;
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === '') throw new UsageError(`--${name} needs a value`);
  }
  const pairs: ReplicationPair[] = ((values.pair as string[] | undefined) ?? []).map(parsePair);
  let configOverdue: number | undefined;
  let configSlo: number | undefined;
  if (values.config !== undefined) {
    const config = configFrom(values.config as string);
    pairs.push(...replicationPairs(config));
    configOverdue = config.overdueMinutes;
    configSlo = config.sloMinutes;
  }
  const overdueMinutes = minutesOption('overdue-minutes', values['overdue-minutes']) ?? configOverdue ?? DEFAULT_OVERDUE_MINUTES;
  const sloMinutes = sloMinutesOf({ sloMinutes: minutesOption('slo-minutes', values['slo-minutes']) ?? configSlo, overdueMinutes });
  let at: number | undefined;
  if (values.at !== undefined) {
    const value = values.at as string;
    at = parseIsoTime(value);
    if (at === undefined)
      throw new UsageError(
        `--at ${value}: expected an ISO-8601 time with a zone, such as 2026-11-20T10:30:00Z or 2026-11-20T11:30:00+01:00`,
      );
  }
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'html')
    throw new UsageError(`--format ${format}: expected table, json or html`);
  const extra: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(own)) extra[name] = values[name] as string | boolean | undefined;
  const unique = new Map(pairs.map((p) => [`${p.source}>${p.destination}`, p]));
  return {
    report: { pairs: [...unique.values()], overdueMinutes, sloMinutes, at, format },
    paths: positionals,
    limits: {
      maxLineBytes: byteSize(values, 'max-line-bytes', DEFAULT_LIMITS.maxLineBytes),
      maxInflatedBytes: byteSize(values, 'max-inflated-bytes', DEFAULT_LIMITS.maxInflatedBytes),
      maxDocumentBytes: byteSize(values, 'max-document-bytes', DEFAULT_LIMITS.maxDocumentBytes),
    },
    help: values.help === true,
    extra,
  };
}

/** `--NAME N`: a positive number of minutes (fractions allowed), or undefined when not given. */
export function minutesOption(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new UsageError(`--${name} ${String(value)}: expected a positive number`);
  return minutes;
}

/** `--pair SRC=DST`, both checked by the config's one bucket-name rule. */
export function parsePair(value: string): ReplicationPair {
  const [source, destination, ...rest] = value.split('=');
  if (rest.length > 0 || !source || !destination) throw new UsageError(`--pair ${value}: expected SOURCE=DESTINATION bucket names`);
  for (const bucket of [source, destination]) {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new UsageError(`--pair ${value}: '${bucket}' is not a valid S3 bucket name (${problem})`);
  }
  if (source === destination) throw new UsageError(`--pair ${value}: a bucket cannot replicate to itself`);
  return { source, destination };
}

/** The CDK app's config file, read by the same loader; its problems become usage errors naming the field. */
function configFrom(file: string) {
  try {
    return loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${error.message}`);
    throw error;
  }
}
