/**
 * Inventory reports as S3 writes them, and an Athena stand-in over DuckDB, for the Athena engine's tests (its unit test
 * and the `reconcile --engine athena` binary test): the Athena SQL runs on DuckDB over the same files.
 *
 * The reports: CSV gzip without header, every field quoted, keys URL-encoded with `+` for a space; Parquet with the
 * guide's columns; the Hive symlink manifest at `hive/dt=YYYY-MM-DD-HH-MM/symlink.txt` and the manifest.json at
 * `<YYYY-MM-DDTHH-MMZ>/`, under `<root>/inv/<bucket>/all-versions/` (root plays the inventory bucket `inventories`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { DuckDBConnection } from '@duckdb/node-api';
import { snapshotOf } from '../../engines/reconcile/athena';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'reconcile-athena');
const manifestFixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const at = (bucket: string) => ({ bucket: 'inventories', key: `inv/${bucket}/all-versions/2026-11-20T12-00Z/manifest.json` });

export interface Version {
  key: string;
  v: string;
  st: '' | 'COMPLETED' | 'PENDING' | 'FAILED' | 'REPLICA';
  size?: number;
  dm?: boolean;
  new?: boolean;
}
const OLD = '2026-11-19T00:00:00.000Z';
const NEW = '2026-11-20T11:50:00.000Z'; // within the overdue window before the snapshots

export const A: Version[] = [
  { key: 'photos/one.jpg', v: 'v1', st: 'COMPLETED', size: 5 },
  { key: 'with space+plus.txt', v: 'v2', st: 'COMPLETED', size: 7 },
  { key: 'fail', v: 'v3', st: 'FAILED' },
  { key: 'none', v: 'v4', st: '' },
  { key: 'late', v: 'v5', st: 'PENDING', new: true },
  { key: 'stuck', v: 'v6', st: 'PENDING' },
  { key: 'gone', v: 'v7', st: 'COMPLETED' },
  { key: 'unicode/é', v: 'v8', st: 'COMPLETED', size: 3 },
  { key: 'dm', v: 'm1', st: 'COMPLETED', dm: true },
  { key: 'b-own', v: 'w1', st: 'REPLICA', size: 4 },
  { key: 'orphan-in-a', v: 'x9', st: 'REPLICA' },
];
export const B: Version[] = [
  { key: 'photos/one.jpg', v: 'v1', st: 'REPLICA', size: 5 },
  { key: 'with space+plus.txt', v: 'v2', st: 'REPLICA', size: 7 },
  { key: 'unicode/é', v: 'v8', st: 'REPLICA', size: 3 },
  { key: 'dm', v: 'm1', st: 'REPLICA', dm: true },
  { key: 'b-own', v: 'w1', st: 'COMPLETED', size: 4 },
  { key: 'b-fail', v: 'w2', st: 'FAILED' },
  { key: 'orphan-b', v: 'x1', st: 'REPLICA' },
  { key: 'orphan-b-new', v: 'x2', st: 'REPLICA', new: true },
  { key: 'direct-b', v: 'x3', st: '' },
];
export const C: Version[] = [
  { key: 'photos/one.jpg', v: 'v1', st: 'REPLICA', size: 5 },
  { key: 'with space+plus.txt', v: 'v2', st: 'REPLICA', size: 8 },
  { key: 'gone', v: 'v7', st: 'REPLICA' },
  { key: 'unicode/é', v: 'v8', st: 'REPLICA', size: 3 },
  { key: 'direct-c', v: 'y1', st: '' },
  { key: 'orphan-c', v: 'y2', st: 'REPLICA' },
];

/** The key as S3 Inventory writes it in CSV: URL-encoded, `+` for a space (application/x-www-form-urlencoded). */
const formEncoded = (key: string) => new URLSearchParams({ k: key }).toString().slice(2);

/** Writes one bucket's report and manifest under `root` (the inventory bucket), as S3 lays them out. */
export async function writeReport(c: DuckDBConnection, root: string, bucket: string, format: 'CSV' | 'Parquet', versions: Version[]) {
  const config = path.join(root, 'inv', bucket, 'all-versions');
  const data = path.join(config, 'data');
  fs.mkdirSync(data, { recursive: true });
  const file = format === 'CSV' ? 'part-0.csv.gz' : 'part-0.parquet';
  const fixture = manifestFixture(format === 'CSV' ? 'manifest-csv.json' : 'manifest-parquet.json');
  const columns = snapshotOf(at(fixture.sourceBucket as string), fixture).columns;
  const value = (v: Version, column: string): string => {
    switch (column) {
      case 'bucket':
        return bucket;
      case 'key':
        return format === 'CSV' ? formEncoded(v.key) : v.key;
      case 'version_id':
        return v.v;
      case 'is_latest':
        return 'true';
      case 'is_delete_marker':
        return v.dm ? 'true' : 'false';
      case 'size':
        return v.dm ? '' : String(v.size ?? 1);
      case 'last_modified_date':
        return v.new ? NEW : OLD;
      case 'e_tag':
        return v.dm ? '' : 'd41d8cd98f00b204e9800998ecf8427e';
      case 'storage_class':
        return v.dm ? '' : 'STANDARD';
      case 'replication_status':
        return v.st;
      default:
        return '';
    }
  };
  if (format === 'CSV') {
    const lines = versions.map((v) => columns.map((col) => `"${value(v, col)}"`).join(',')).join('\n') + '\n';
    fs.writeFileSync(path.join(data, file), zlib.gzipSync(lines));
  } else {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const rows = versions.map(
      (v) =>
        `(${q(bucket)}, ${q(v.key)}, ${q(v.v)}, true, ${v.dm ? 'true' : 'false'}, ${v.dm ? 'NULL' : (v.size ?? 1)}, ` +
        `TIMESTAMP ${q((v.new ? NEW : OLD).replace('T', ' ').replace('Z', ''))}, ${v.dm ? 'NULL' : "'etag'"}, ${v.st ? q(v.st) : 'NULL'})`,
    );
    await c.run(
      `COPY (SELECT * FROM (VALUES ${rows.join(', ')}) t(bucket, key, version_id, is_latest, is_delete_marker, size, last_modified_date, e_tag, replication_status)) ` +
        `TO ${q(path.join(data, file))} (FORMAT parquet)`,
    );
  }
  const hive = path.join(config, 'hive', 'dt=2026-11-20-12-00');
  fs.mkdirSync(hive, { recursive: true });
  fs.writeFileSync(path.join(hive, 'symlink.txt'), `s3://inventories/inv/${bucket}/all-versions/data/${file}\n`);
  const manifestDir = path.join(config, '2026-11-20T12-00Z');
  fs.mkdirSync(manifestDir, { recursive: true });
  const manifest = {
    ...fixture,
    sourceBucket: bucket,
    files: [{ key: `inv/${bucket}/all-versions/data/${file}`, size: 1, MD5checksum: '0' }],
  };
  fs.writeFileSync(path.join(manifestDir, 'manifest.json'), JSON.stringify(manifest));
  return snapshotOf(at(bucket), manifest);
}

/**
 * An Athena stand-in over DuckDB. CREATE EXTERNAL TABLE becomes a view over the files its LOCATION's symlink manifests
 * list (s3://inventories/ is `root`), one dt per `hive/dt=…/` folder, the columns as declared (CSV read by position,
 * every value a string; Parquet by name, cast to the declared types). Any other statement runs on DuckDB as it is;
 * its rows come back as Athena gives them: strings, the header first, a page at a time.
 */
export class DuckDbAthena {
  readonly statements: string[] = [];
  private readonly results = new Map<string, { names: string[]; rows: (string | null)[][] }>();
  constructor(
    private readonly c: DuckDBConnection,
    private readonly root: string,
  ) {}

  async send(command: unknown): Promise<unknown> {
    const input = (command as { input: Record<string, unknown> }).input;
    if (command instanceof StartQueryExecutionCommand) {
      const sql = input.QueryString as string;
      this.statements.push(sql);
      const id = `q${this.statements.length}`;
      this.results.set(
        id,
        sql.startsWith('CREATE EXTERNAL TABLE') ? (await this.createTable(sql), { names: [], rows: [] }) : await this.select(sql),
      );
      return { QueryExecutionId: id };
    }
    if (command instanceof GetQueryExecutionCommand) return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
    if (command instanceof GetQueryResultsCommand) {
      const result = this.results.get(input.QueryExecutionId as string)!;
      const all = [result.names, ...result.rows];
      const from = Number(input.NextToken ?? 0);
      const size = input.MaxResults as number;
      const rows = all.slice(from, from + size);
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: result.names.map((Name) => ({ Name })) },
          Rows: rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        },
        NextToken: from + size < all.length ? String(from + size) : undefined,
      };
    }
    throw new Error(`the stand-in does not answer ${String(command)}`);
  }

  /** One Athena JSON 1.1 operation (`x-amz-target: AmazonAthena.<op>`), for a loopback endpoint. */
  async operation(op: string, input: Record<string, unknown>): Promise<unknown> {
    const commands: Record<string, new (input: never) => unknown> = {
      StartQueryExecution: StartQueryExecutionCommand,
      GetQueryExecution: GetQueryExecutionCommand,
      GetQueryResults: GetQueryResultsCommand,
    };
    const command = commands[op];
    if (!command) throw new Error(`the stand-in does not answer ${op}`);
    return this.send(new command(input as never));
  }

  private async createTable(ddl: string): Promise<void> {
    const [, schema, table] = /^CREATE EXTERNAL TABLE IF NOT EXISTS `([^`]+)`\.`([^`]+)`/.exec(ddl)!;
    const columns = [...ddl.matchAll(/^ {2}`(\w+)` (\w+),?$/gm)].map((m) => ({ name: m[1], type: m[2] }));
    const location = /LOCATION 's3:\/\/inventories\/([^']+)'/.exec(ddl)![1];
    const csv = ddl.includes('OpenCSVSerde');
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const parts = fs.readdirSync(path.join(this.root, location)).map((folder) => {
      const dt = folder.replace(/^dt=/, '');
      const files = fs
        .readFileSync(path.join(this.root, location, folder, 'symlink.txt'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((uri) => q(path.join(this.root, uri.replace('s3://inventories/', ''))));
      if (csv) {
        const types = columns.map((col) => `${q(col.name)}: 'VARCHAR'`).join(', ');
        return `SELECT *, ${q(dt)} AS dt FROM read_csv([${files.join(', ')}], header = false, auto_detect = false, compression = 'gzip', quote = '"', columns = {${types}})`;
      }
      const typed = columns.map(
        (col) => `CAST("${col.name}" AS ${col.type === 'string' ? 'VARCHAR' : col.type.toUpperCase()}) AS "${col.name}"`,
      );
      return `SELECT ${typed.join(', ')}, ${q(dt)} AS dt FROM read_parquet([${files.join(', ')}])`;
    });
    await this.c.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await this.c.run(`CREATE OR REPLACE VIEW "${schema}"."${table}" AS ${parts.join(' UNION ALL ')}`);
  }

  private async select(sql: string) {
    const reader = await this.c.runAndReadAll(sql);
    const rows = reader.getRowsJS().map((r) => r.map((v) => (v === null || v === undefined ? null : String(v))));
    return { names: reader.columnNames(), rows };
  }
}
