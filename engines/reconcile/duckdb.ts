/**
 * The embedded reconcile engine: DuckDB (`@duckdb/node-api`, parquet built in, no extension downloaded) in a database
 * file inside the request's temporary folder, with a memory limit and a spill folder, so inventories larger than
 * memory are joined on disk rather than failing.
 *
 * Each inventory's data files are loaded, one file per statement (so a bad value is refused naming its file), into a
 * table with query.ts's normalised columns: CSV keys URL-decoded (`+` is a space), version IDs as given,
 * timestamps in UTC. Then the one reconcile statement runs over those tables, and the manifest's when asked for.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkCoverage,
  splitExample,
  type ReconcileEngine,
  type ReconcileExample,
  type ReconcileRequest,
  type ReconcileResult,
} from './engine';
import { InventoryError, type InventoryManifest } from './manifest';
import { countsFromRows, manifestSql, reconcileSql, type CountRow } from './query';
import { loadInventories, type LocalInventory } from './sources';

export interface DuckDbEngineOptions {
  /** DuckDB's `memory_limit` (e.g. '2GB'); beyond it, joins and aggregates spill to the temporary folder. */
  readonly memoryLimit?: string;
  /** Worker threads (DuckDB's default: one per core). */
  readonly threads?: number;
}

export const DEFAULT_MEMORY_LIMIT = '2GB';

/** The normalised table every inventory is loaded into (the columns query.ts reads). */
const TABLE_COLUMNS =
  '"key" VARCHAR, version_id VARCHAR, is_delete_marker BOOLEAN, size BIGINT, last_modified_date TIMESTAMPTZ, replication_status VARCHAR';

const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** ISO-8601 text (S3 writes `2022-12-12T13:20:39.000Z`; an offset is honoured) to a TIMESTAMPTZ. */
const textTime = (expr: string) => `CAST(NULLIF(${expr}, '') AS TIMESTAMPTZ)`;

/** The SELECT that reads one CSV data file (gzip, no header, every field quoted, columns in fileSchema's order). */
function csvSelect(manifest: InventoryManifest, file: string): string {
  const columns = manifest.columns.map((c, i) => `${sqlString(manifest.columns.indexOf(c) === i ? c : `${c}_${i}`)}: 'VARCHAR'`);
  const gz = file.endsWith('.gz') || manifest.files.some((f) => f.key.endsWith('.gz')) ? 'gzip' : 'none';
  const source =
    `read_csv(${sqlString(file)}, columns = {${columns.join(', ')}}, header = false, delim = ',', quote = '"', escape = '"', ` +
    `compression = '${gz}', auto_detect = false, strict_mode = true, null_padding = false)`;
  return `SELECT url_decode(replace("key", '+', ' ')), NULLIF(version_id, ''), CAST(NULLIF(is_delete_marker, '') AS BOOLEAN),
    CAST(NULLIF(size, '') AS BIGINT), ${textTime('last_modified_date')}, NULLIF(replication_status, '') FROM ${source}`;
}

/** The SELECT that reads one Parquet data file, by column name, whatever type S3 gave the timestamp. */
async function parquetSelect(c: DuckDBConnection, manifest: InventoryManifest, file: string): Promise<string> {
  const source = `read_parquet(${sqlString(file)})`;
  const described = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS() as {
    column_name: string;
    column_type: string;
  }[];
  const types = new Map(described.map((d) => [d.column_name.toLowerCase(), { name: d.column_name, type: d.column_type }]));
  const missing = ['key', 'version_id', 'is_delete_marker', 'size', 'last_modified_date', 'replication_status'].filter(
    (c) => !types.has(c),
  );
  if (missing.length > 0)
    throw new InventoryError(
      `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${file} has no column ${missing.join(', ')}`,
    );
  const col = (c: string) => ident(types.get(c)!.name);
  const lm = types.get('last_modified_date')!.type;
  // S3 writes TIMESTAMP(MILLIS,true) (DuckDB: TIMESTAMP WITH TIME ZONE, taken as it is); a timestamp without the UTC
  // flag is UTC too (the session's zone); a bare int64 is epoch milliseconds.
  const time =
    lm === 'TIMESTAMP WITH TIME ZONE'
      ? col('last_modified_date')
      : lm.startsWith('TIMESTAMP')
        ? `CAST(${col('last_modified_date')} AS TIMESTAMPTZ)`
        : /INT/.test(lm)
          ? `make_timestamptz(CAST(${col('last_modified_date')} AS BIGINT) * 1000)`
          : textTime(`CAST(${col('last_modified_date')} AS VARCHAR)`);
  return `SELECT CAST(${col('key')} AS VARCHAR), NULLIF(CAST(${col('version_id')} AS VARCHAR), ''), CAST(${col('is_delete_marker')} AS BOOLEAN),
    CAST(${col('size')} AS BIGINT), ${time}, NULLIF(CAST(${col('replication_status')} AS VARCHAR), '') FROM ${source}`;
}

/** Loads one inventory into `table`; resolves to its row count. Any DuckDB error is refused naming the data file. */
async function load(c: DuckDBConnection, inventory: LocalInventory, table: string): Promise<number> {
  const { manifest } = inventory;
  await c.run(`CREATE TABLE ${table} (${TABLE_COLUMNS})`);
  let rows = 0;
  for (const [i, file] of inventory.paths.entries()) {
    try {
      const select = manifest.format === 'CSV' ? csvSelect(manifest, file) : await parquetSelect(c, manifest, file);
      const result = await c.runAndReadAll(`INSERT INTO ${table} ${select}`);
      rows += Number(result.getRows()[0]?.[0] ?? 0);
    } catch (error) {
      if (error instanceof InventoryError) throw error;
      throw new InventoryError(
        `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${manifest.files[i].key} (${file}) is not a readable ` +
          `${manifest.format} inventory: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  const nullKey = Number((await c.runAndReadAll(`SELECT count(*) FROM ${table} WHERE "key" IS NULL`)).getRows()[0][0]);
  if (nullKey > 0) throw new InventoryError(`inventory ${manifest.location} (bucket ${manifest.bucket}): ${nullKey} rows without a key`);
  return rows;
}

/** The DuckDB engine. */
export function duckdbEngine(options: DuckDbEngineOptions = {}): ReconcileEngine {
  return {
    name: 'duckdb',
    async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
      const clock = { at: Date.now() };
      const lap = () => {
        const now = Date.now();
        const s = (now - clock.at) / 1000;
        clock.at = now;
        return s;
      };
      const inventories = await loadInventories(request.inventories, { tempDir: request.tempDir, s3: request.s3 });
      const verify = lap();
      checkCoverage(request.pairs, new Set(inventories.map((i) => i.manifest.bucket)));
      const used = new Set(request.pairs.flatMap((p) => [p.source, p.destination]));
      const spill = path.join(request.tempDir, 'spill');
      fs.mkdirSync(spill, { recursive: true });
      const config: Record<string, string> = {
        memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
        temp_directory: spill,
        preserve_insertion_order: 'false',
        enable_external_access: 'true',
      };
      if (options.threads) config.threads = String(options.threads);
      // In memory, spilling to the temporary folder past memory_limit (tables included): no database file to write.
      const instance = await DuckDBInstance.create(':memory:', config);
      const c = await instance.connect();
      try {
        await c.run(`SET TimeZone = 'UTC'`);
        const tables: Record<string, string> = {};
        const createdAt: Record<string, number> = {};
        const counted: ReconcileResult['report']['inventories'] = [];
        for (const [i, inventory] of inventories.entries()) {
          const { manifest } = inventory;
          if (!used.has(manifest.bucket)) continue;
          const table = `inventory_${i}`;
          const rows = await load(c, inventory, table);
          tables[manifest.bucket] = table;
          createdAt[manifest.bucket] = manifest.createdAt;
          counted.push({
            bucket: manifest.bucket,
            createdAt: new Date(manifest.createdAt).toISOString(),
            format: manifest.format,
            files: manifest.files.length,
            rows,
          });
        }
        const loadSeconds = lap();
        const opts = { dialect: 'duckdb' as const, pairs: request.pairs, tables, createdAt, overdueMillis: request.overdueMillis };
        const rows = (
          await c.runAndReadAll(reconcileSql({ ...opts, examples: request.examples }))
        ).getRowObjectsJS() as unknown as (CountRow & {
          examples?: string[] | null;
        })[];
        const examples: ReconcileExample[] = rows.flatMap((row) =>
          (row.examples ?? []).map((value) => ({
            source: row.source,
            destination: row.destination,
            category: row.category,
            ...splitExample(value),
          })),
        );
        let manifestCount: number | undefined;
        if (request.manifest) {
          const result = await c.stream(manifestSql({ ...opts, pair: request.manifest.pair }));
          manifestCount = await request.manifest.write(
            (async function* () {
              for await (const chunk of result.yieldRowsJs())
                for (const [, key, versionId] of chunk) yield { key: String(key), versionId: String(versionId) };
            })(),
          );
        }
        return {
          report: { pairs: countsFromRows(rows, request.pairs), inventories: counted },
          examples,
          manifestCount,
          seconds: { verify, load: loadSeconds, query: lap() },
        };
      } finally {
        c.closeSync();
        instance.closeSync();
      }
    },
  };
}
