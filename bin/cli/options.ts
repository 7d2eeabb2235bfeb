import { ConfigError, replicationPairs } from '../../lambda/shared/config';
import { loadConfig } from '../../lib/config-loader';
import type { ReplicationPair } from '../../lambda/core';

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export type OutputFormat = 'table' | 'json';

/** The options `analyze` and `local --events` share, so that both report on the same terms. */
export interface ReportOptions {
  /** Configured pairs (`--pair` and `--config`); empty means infer them from the events. */
  readonly pairs: ReplicationPair[];
  readonly overdueMinutes: number;
  /** Evaluation time; undefined means the latest event time seen. */
  readonly at?: number;
  readonly format: OutputFormat;
}

export const DEFAULT_OVERDUE_MINUTES = 15;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface ParsedArguments {
  readonly report: ReportOptions;
  readonly paths: string[];
  /** Options the caller declared beyond the shared ones, by name without dashes. */
  readonly extra: Record<string, string | true>;
}

/**
 * Parses `[--pair SRC=DST]... [--config FILE] [--overdue-minutes N] [--at ISO] [--format table|json] PATH...`
 * plus the command's own options (`valued`: take a value; `flags`: do not). `--name=value` works too.
 */
export function parseArguments(argv: readonly string[], own: { valued?: string[]; flags?: string[] } = {}): ParsedArguments {
  const pairs: ReplicationPair[] = [];
  const paths: string[] = [];
  const extra: Record<string, string | true> = {};
  let configOverdue: number | undefined;
  let overdueMinutes: number | undefined;
  let at: number | undefined;
  let format: OutputFormat = 'table';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      if (arg !== '--') paths.push(arg);
      else paths.push(...argv.slice(i + 1));
      if (arg === '--') break;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const takesValue = ['pair', 'config', 'overdue-minutes', 'at', 'format', ...(own.valued ?? [])].includes(name);
    if (!takesValue && !(own.flags ?? []).includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (takesValue) {
      value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    }
    switch (name) {
      case 'pair':
        pairs.push(parsePair(value!));
        break;
      case 'config': {
        const config = configFrom(value!);
        pairs.push(...replicationPairs(config));
        configOverdue = config.overdueMinutes;
        break;
      }
      case 'overdue-minutes':
        overdueMinutes = Number(value);
        if (!Number.isFinite(overdueMinutes) || overdueMinutes <= 0) throw new UsageError(`--overdue-minutes ${value}: expected a positive number`);
        break;
      case 'at':
        at = Date.parse(value!);
        if (Number.isNaN(at)) throw new UsageError(`--at ${value}: expected an ISO-8601 time such as 2026-11-20T10:30:00Z`);
        break;
      case 'format':
        if (value !== 'table' && value !== 'json') throw new UsageError(`--format ${value}: expected table or json`);
        format = value;
        break;
      default:
        extra[name] = value ?? true;
    }
  }
  const unique = new Map(pairs.map((p) => [`${p.source}>${p.destination}`, p]));
  return {
    report: { pairs: [...unique.values()], overdueMinutes: overdueMinutes ?? configOverdue ?? DEFAULT_OVERDUE_MINUTES, at, format },
    paths,
    extra,
  };
}

function parsePair(value: string): ReplicationPair {
  const [source, destination, ...rest] = value.split('=');
  if (rest.length > 0 || !source || !destination) throw new UsageError(`--pair ${value}: expected SOURCE=DESTINATION bucket names`);
  for (const bucket of [source, destination]) {
    if (!BUCKET.test(bucket)) throw new UsageError(`--pair ${value}: '${bucket}' is not a valid S3 bucket name`);
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
