/**
 * `crr-monitor reconcile`: every version of each source bucket against its destination's, from S3 Inventory
 * reports (all versions, with ReplicationStatus), on an engine (DuckDB embedded by default). Prints the reconcile
 * report (docs/report-schema.md) and, with --manifest, writes the S3 Batch Operations manifest of the versions to
 * replicate again, as `redrive` writes it (`redrive --from-reconcile FILE` starts the job).
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { athenaEngine } from '../../engines/reconcile/athena';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MEMORY_LIMIT, duckdbEngine } from '../../engines/reconcile/duckdb';
import { runReconcile, type ReconcileEngine, type ReconcileExample, type ReconcileResult } from '../../engines/reconcile/engine';
import { InventoryError } from '../../engines/reconcile/manifest';
import type { PairCounts } from '../../engines/reconcile/query';
import { renderHtml } from '../../engines/report/html';
import { writeManifest } from '../support/batch-replication';
import {
  configOption,
  formatOption,
  pairsFrom,
  parseCommand,
  renderTable,
  STDIO,
  UsageError,
  type CommandIo,
} from '../support/operator-args';
import { environmentRegion } from '../support/operator-clients';

export const usage = `  crr-monitor reconcile [--pair SRC=DST]... [--config FILE] --inventory MANIFEST... [--overdue-minutes 15]
                        [--manifest FILE] [--format table|json|html] [--engine duckdb] [--memory-limit 2GB] [--examples 3] [--region R]
                        [--engine athena --workgroup W --database D --output s3://BUCKET/PREFIX/]
      Compares every version in each source bucket's S3 Inventory (all versions, with ReplicationStatus) with its
      destination's: replicated, size mismatches, failed, pending, overdue, never replicated, completed but missing,
      orphan replicas, destination-only versions, delete markers. MANIFEST: a manifest.json, local or s3://, one per
      bucket (CSV or Parquet). --manifest (one pair): the S3 Batch Operations CSV of the failed, overdue and
      completed-but-missing versions, for \`redrive --from-reconcile FILE --execute ...\`.
      --engine athena runs the same query on Amazon Athena where the inventories are (s3:// manifests only): one
      table per report in database D (Glue), queries in workgroup W, results under --output.
`;

const OPTIONS = {
  pair: { type: 'string', multiple: true },
  config: { type: 'string' },
  inventory: { type: 'string', multiple: true },
  'overdue-minutes': { type: 'string' },
  manifest: { type: 'string' },
  engine: { type: 'string' },
  'memory-limit': { type: 'string' },
  examples: { type: 'string' },
  workgroup: { type: 'string' },
  database: { type: 'string' },
  output: { type: 'string' },
} as const;

/** Options only one engine reads: given to another, they are refused rather than ignored. */
const ENGINE_OPTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  duckdb: ['memory-limit'],
  athena: ['workgroup', 'database', 'output'],
};

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

/**
 * The engines `--engine` names. Each builds its engine from the parsed options (and may read its own: an engine that
 * adds options lists them in ENGINE_OPTIONS).
 */
const ENGINES: Record<string, (values: Values) => ReconcileEngine> = {
  duckdb: (values) => {
    const memoryLimit = values['memory-limit'] ?? DEFAULT_MEMORY_LIMIT;
    if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memoryLimit))
      throw new UsageError(`--memory-limit ${memoryLimit}: expected a size such as 2GB or 512MB`);
    return duckdbEngine({ memoryLimit });
  },
  athena: (values) => {
    const missing = (['workgroup', 'database', 'output'] as const).filter((o) => values[o] === undefined);
    if (missing.length > 0) throw new UsageError(`--engine athena needs ${missing.map((o) => `--${o}`).join(', ')}`);
    const output = values.output!;
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(output))
      throw new UsageError(`--output ${output}: expected an s3://bucket/prefix/ for Athena's query results`);
    const region = values.region ?? environmentRegion() ?? 'us-east-1';
    let client: AthenaClient | undefined;
    return athenaEngine({
      athena: () => (client ??= new AthenaClient({ region })),
      workgroup: values.workgroup!,
      database: values.database!,
      outputLocation: output.endsWith('/') ? output : `${output}/`,
    });
  },
};

const DEFAULT_EXAMPLES = 3;

export async function run(argv: string[], io: CommandIo = STDIO): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, true);
  if (values.help) {
    io.out(`Usage:\n${usage}`);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`reconcile takes no arguments (got '${positionals[0]}'); give inventories with --inventory`);
  const format = formatOption(values.format, ['table', 'json', 'html']);
  const config = values.config !== undefined ? configOption(values.config) : undefined;
  const pairs = pairsFrom(values.pair, config);
  if (pairs.length === 0) throw new UsageError('reconcile needs --pair SRC=DST or --config FILE');
  const inventories = values.inventory ?? [];
  if (inventories.length === 0)
    throw new UsageError('reconcile needs --inventory MANIFEST (a manifest.json, local or s3://) for each bucket');
  let overdueMinutes = config?.overdueMinutes ?? 15;
  if (values['overdue-minutes'] !== undefined) {
    overdueMinutes = Number(values['overdue-minutes']);
    if (!Number.isFinite(overdueMinutes) || overdueMinutes <= 0)
      throw new UsageError(`--overdue-minutes ${values['overdue-minutes']}: expected a positive number`);
  }
  const examples = values.examples === undefined ? DEFAULT_EXAMPLES : Number(values.examples);
  if (!Number.isSafeInteger(examples) || examples < 0 || examples > 100)
    throw new UsageError(`--examples ${values.examples}: expected a whole number from 0 to 100`);
  if (values.manifest !== undefined && pairs.length !== 1)
    throw new UsageError(`--manifest lists the versions of one pair: give exactly one --pair (got ${pairs.length} pairs)`);
  const engineName = values.engine ?? 'duckdb';
  const makeEngine = Object.hasOwn(ENGINES, engineName) ? ENGINES[engineName] : undefined;
  if (!makeEngine) throw new UsageError(`--engine ${engineName}: expected ${Object.keys(ENGINES).join(' or ')}`);
  for (const [other, names] of Object.entries(ENGINE_OPTIONS)) {
    if (other === engineName) continue;
    for (const name of names) if (values[name] !== undefined) throw new UsageError(`--${name} applies to --engine ${other} only`);
  }
  const engine = makeEngine(values);

  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-reconcile-'));
  const manifestFile = values.manifest;
  // The manifest is written beside its name and renamed into place only when the whole run succeeded.
  const partial = manifestFile !== undefined ? `${manifestFile}.partial-${process.pid}` : undefined;
  let s3: S3Client | undefined;
  let result: ReconcileResult;
  try {
    result = await runReconcile(engine, {
      pairs,
      inventories,
      overdueMillis: overdueMinutes * 60_000,
      examples: format === 'table' ? examples : 0,
      tempDir,
      s3: () => (s3 ??= new S3Client({ region: values.region ?? environmentRegion() ?? 'us-east-1', followRegionRedirects: true })),
      manifest:
        partial !== undefined ? { pair: pairs[0], write: (rows) => writeManifest(rows, pairs[0].source, partial, io.out) } : undefined,
    });
    if (partial !== undefined) fs.renameSync(partial, manifestFile!);
  } catch (error) {
    if (partial !== undefined) fs.rmSync(partial, { force: true });
    if (!(error instanceof InventoryError)) throw error;
    io.err(`crr-monitor: ${error.message}\n`);
    return 1;
  } finally {
    s3?.destroy();
    fs.rmSync(tempDir, { recursive: true, force: true });
  }

  if (format === 'json') io.out(JSON.stringify(result.report, null, 2) + '\n');
  else if (format === 'html')
    io.out(
      renderHtml({
        title: 'S3 replication reconcile',
        reconcile: { pairs: result.report.pairs.map((p) => ({ ...p })), inventories: result.report.inventories },
      }),
    );
  else io.out(formatReconcile(result, examples));
  if (manifestFile !== undefined) {
    // JSON and HTML keep stdout for the document.
    const say = format === 'table' ? io.out : io.err;
    say(
      `Manifest ${manifestFile}: ${result.manifestCount} version(s) of ${pairs[0].source} to replicate again ` +
        `(redrive --pair ${pairs[0].source}=${pairs[0].destination} --from-reconcile ${manifestFile} --execute ... starts the job).\n`,
    );
  }
  return 0;
}

/** The report's labels, in table order: [JSON field, what it means]. */
const KINDS: readonly [keyof PairCounts | `deleteMarkers.${'replicated' | 'missing'}`, string][] = [
  ['replicated', 'in the destination, same size'],
  ['sizeMismatch', 'in the destination, another size'],
  ['failed', 'FAILED, not in the destination'],
  ['pending', 'newer than the destination snapshot can hold'],
  ['overdue', 'PENDING past the overdue threshold'],
  ['notReplicated', 'no replication status: no rule covered it'],
  ['completedButMissing', 'COMPLETED, yet not in the destination'],
  ['orphanReplicas', 'replica whose source version is gone'],
  ['destinationOnly', 'written straight into the destination'],
  ['deleteMarkers.replicated', 'delete marker in the destination'],
  ['deleteMarkers.missing', 'delete marker not in the destination'],
];

function countOf(pair: PairCounts, kind: (typeof KINDS)[number][0]): number {
  if (kind === 'deleteMarkers.replicated') return pair.deleteMarkers.replicated;
  if (kind === 'deleteMarkers.missing') return pair.deleteMarkers.missing;
  return pair[kind] as number;
}

/** The table: inventories, then per pair each count with a few examples of every kind that needs attention. */
export function formatReconcile(result: ReconcileResult, examples: number): string {
  const out: string[] = [];
  out.push(
    ...renderTable(
      ['INVENTORY', 'CREATED', 'FORMAT', 'FILES', 'ROWS'],
      result.report.inventories.map((i) => [i.bucket, i.createdAt, i.format, String(i.files), String(i.rows)]),
      new Set([3, 4]),
    ),
  );
  const byKind = new Map<string, ReconcileExample[]>();
  for (const e of result.examples) {
    const id = JSON.stringify([e.source, e.destination, e.category]);
    byKind.set(id, [...(byKind.get(id) ?? []), e]);
  }
  for (const pair of result.report.pairs) {
    out.push(
      '',
      `${pair.source} → ${pair.destination}: ${pair.sourceVersions} source versions, ${pair.deleteMarkers.source} delete markers`,
    );
    const rows = KINDS.map(([kind, meaning]) => {
      const n = countOf(pair, kind);
      const shown =
        kind === 'replicated' || kind === 'deleteMarkers.replicated'
          ? []
          : (byKind.get(JSON.stringify([pair.source, pair.destination, kind])) ?? []);
      const sample = shown
        .slice(0, examples)
        .map((e) => `${JSON.stringify(e.key)} ${e.versionId}`)
        .join(', ');
      return [kind, String(n), meaning, n > shown.length && sample ? `${sample}, …` : sample];
    });
    out.push(...renderTable(['KIND', 'VERSIONS', 'MEANING', 'EXAMPLES (key version)'], rows, new Set([1])).map((l) => `  ${l}`));
  }
  return out.join('\n') + '\n';
}
