/**
 * What status, redrive and doctor share: the command signature, their common options (`--format`, `--region`,
 * `--config`, `--pair`) parsed with node:util parseArgs, and a plain-text table. Usage mistakes throw UsageError
 * (exit 2, printed with the command's usage by the command itself).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, replicationPairs, type MonitorConfig } from '../../lambda/shared/config';
import type { ReplicationPair } from '../../lambda/core';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../lib/config-loader';
import { parsePair, UsageError } from './options';
import { environmentRegion } from './operator-clients';

export { UsageError };

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own streams: what `run(argv)` uses when bin/cli.ts calls it. */
export const STDIO: CommandIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export type OutputFormat = 'table' | 'json' | 'html';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the shared options added; its own errors (unknown option, missing value) become UsageErrors. */
export function parseCommand<O extends Options>(argv: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, format: { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    if (!(error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError((error as Error).message.split('. To specify')[0]);
  }
}

/** `--format`: one of `allowed` (table and json unless the command also prints html). */
export function formatOption(value: unknown, allowed: readonly OutputFormat[] = ['table', 'json']): OutputFormat {
  if (value === undefined) return 'table';
  if (!allowed.includes(value as OutputFormat))
    throw new UsageError(`--format ${String(value)}: expected ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`);
  return value as OutputFormat;
}

export function timeOption(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(String(value));
  if (Number.isNaN(at)) throw new UsageError(`--${name} ${String(value)}: expected an ISO-8601 time such as 2026-11-20T10:30:00Z`);
  return at;
}

/** The CDK app's config, read by the same loader as `analyze --config`; its problems are usage errors naming the field. */
export function configOption(file: string | undefined): MonitorConfig {
  try {
    return loadConfig(file ?? DEFAULT_CONFIG_FILE);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${error.message}`);
    throw error;
  }
}

/** `--pair`s plus the config's pairs, each once. */
export function pairsFrom(pairs: readonly string[] | undefined, config: MonitorConfig | undefined): ReplicationPair[] {
  const all = [...(pairs ?? []).map(parsePair), ...(config ? replicationPairs(config) : [])];
  return [...new Map(all.map((p) => [`${p.source}>${p.destination}`, p])).values()];
}

/** --region, else the environment's region, else the config's monitor region; a usage error when none. */
export function regionOption(value: unknown, config?: MonitorConfig): string {
  const region = (value as string | undefined) ?? config?.monitorRegion ?? environmentRegion();
  if (!region) throw new UsageError('no region: pass --region, set AWS_REGION, or give --config');
  return region;
}

/** Left-aligned columns, two spaces apart; `right` holds the indexes of right-aligned columns. */
export function renderTable(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
