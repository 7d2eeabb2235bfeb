/**
 * The embedded reconcile engine: DuckDB (`@duckdb/node-api`, parquet built in, no extension downloaded) in memory,
 * with a memory limit and a spill folder in the request's temporary folder, so inventories larger than memory are
 * joined on disk rather than failing.
 *
 * Each inventory becomes a view with query.ts's normalised columns (`inventory_<n>`): Parquet data files are read
 * where they lie, by column name; CSV data files are decoded once each (keys URL-decoded, `+` a space; times as
 * TIMESTAMPTZ, the session in UTC) into Parquet files in the temporary folder — one statement per data file, so a
 * bad value is refused naming its file. Then the one reconcile statement runs over the views, and the manifest's when
 * asked for.
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

const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** ISO-8601 text (S3 writes `2022-12-12T13:20:39.000Z`; an offset is honoured) to a TIMESTAMPTZ. */
const textTime = (expr: string) => `CAST(NULLIF(${expr}, '') AS TIMESTAMPTZ)`;

/** The SELECT that reads one CSV data file (gzip, no header, every field quoted, columns in fileSchema's order). */
function csvSelect(manifest: InventoryManifest, file: string, key: string): string {
  const columns = manifest.columns.map((c, i) => `${sqlString(manifest.columns.indexOf(c) === i ? c : `${c}_${i}`)}: 'VARCHAR'`);
  const gz = key.endsWith('.gz') ? 'gzip' : 'none';
  const source =
    `read_csv(${sqlString(file)}, columns = {${columns.join(', ')}}, header = false, delim = ',', quote = '"', escape = '"', ` +
    `compression = '${gz}', auto_detect = false, strict_mode = true, null_padding = false)`;
  return `SELECT url_decode(replace("key", '+', ' ')) AS "key", NULLIF(version_id, '') AS version_id,
    CAST(NULLIF(is_delete_marker, '') AS BOOLEAN) AS is_delete_marker, CAST(NULLIF(size, '') AS BIGINT) AS size,
    ${textTime('last_modified_date')} AS last_modified_date, NULLIF(replication_status, '') AS replication_status FROM ${source}`;
}

/** How a Parquet data file's columns are read, by name, whatever type S3 gave the timestamp (checked per file). */
async function parquetProjection(c: DuckDBConnection, manifest: InventoryManifest, file: string, key: string): Promise<string> {
  const name = `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${key} (${file})`;
  let described: { column_name: string; column_type: string }[];
  try {
    described = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).getRowObjectsJS() as typeof described;
  } catch (error) {
    throw new InventoryError(`${name} is not a readable Parquet inventory: ${(error as Error).message.split('\n')[0]}`);
  }
  const types = new Map(described.map((d) => [d.column_name.toLowerCase(), { name: d.column_name, type: d.column_type }]));
  const missing = ['key', 'version_id', 'is_delete_marker', 'size', 'last_modified_date', 'replication_status'].filter(
    (column) => !types.has(column),
  );
  if (missing.length > 0) throw new InventoryError(`${name} has no column ${missing.join(', ')}`);
  const col = (column: string) => ident(types.get(column)!.name);
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
  return `CAST(${col('key')} AS VARCHAR) AS "key", NULLIF(CAST(${col('version_id')} AS VARCHAR), '') AS version_id,
    CAST(${col('is_delete_marker')} AS BOOLEAN) AS is_delete_marker, CAST(${col('size')} AS BIGINT) AS size,
    ${time} AS last_modified_date, NULLIF(CAST(${col('replication_status')} AS VARCHAR), '') AS replication_status`;
}

/**
 * A Parquet inventory is read where it lies, through a view (columnar: each scan reads only the columns it needs, and
 * nothing is copied into memory that the join could use); files of one schema are read as one list. Resolves to
 * the row count, from the files' metadata.
 */
async function parquetView(c: DuckDBConnection, inventory: LocalInventory, view: string): Promise<number> {
  const { manifest } = inventory;
  const groups = new Map<string, string[]>();
  for (const [i, file] of inventory.paths.entries()) {
    const projection = await parquetProjection(c, manifest, file, manifest.files[i].key);
    groups.set(projection, [...(groups.get(projection) ?? []), file]);
  }
  const list = (files: string[]) => `[${files.map(sqlString).join(', ')}]`;
  const selects = [...groups].map(([projection, files]) => `SELECT ${projection} FROM read_parquet(${list(files)})`);
  await c.run(`CREATE VIEW ${view} AS ${selects.join('\nUNION ALL\n')}`);
  const rows = await c.runAndReadAll(`SELECT sum(num_rows) FROM parquet_file_metadata(${list([...inventory.paths])})`);
  return Number(rows.getRows()[0][0] ?? 0);
}

/**
 * A CSV inventory is decoded once (gunzip, parse, URL-decode the keys, type every field) into Parquet files in the
 * temporary folder, one per data file, then read through a view like a Parquet inventory: the decoded rows wait on
 * disk, compressed, rather than in the memory the join needs. Resolves to the row count; any DuckDB error is
 * refused naming the data file.
 */
async function csvView(c: DuckDBConnection, inventory: LocalInventory, view: string, tempDir: string): Promise<number> {
  const { manifest } = inventory;
  const decoded: string[] = [];
  let rows = 0;
  for (const [i, file] of inventory.paths.entries()) {
    const out = path.join(tempDir, `${view}-${i}.parquet`);
    try {
      const result = await c.runAndReadAll(
        `COPY (${csvSelect(manifest, file, manifest.files[i].key)}) TO ${sqlString(out)} (FORMAT parquet)`,
      );
      rows += Number(result.getRows()[0]?.[0] ?? 0);
    } catch (error) {
      throw new InventoryError(
        `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${manifest.files[i].key} (${file}) is not a readable ` +
          `CSV inventory: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    decoded.push(out);
  }
  await c.run(`CREATE VIEW ${view} AS SELECT * FROM read_parquet([${decoded.map(sqlString).join(', ')}])`);
  const nullKey = Number((await c.runAndReadAll(`SELECT count(*) FROM ${view} WHERE "key" IS NULL`)).getRows()[0][0]);
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
          const rows =
            manifest.format === 'CSV' ? await csvView(c, inventory, table, request.tempDir) : await parquetView(c, inventory, table);
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
