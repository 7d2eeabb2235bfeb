/**
 * The Athena engine (engines/reconcile/athena.ts): the manifests it accepts and refuses, the tables it declares, the
 * requests it sends (aws-sdk-client-mock: query text, workgroup, database, output location, polling, paging, failures),
 * and its Athena SQL run on DuckDB over inventory files as S3 writes them (CSV and Parquet, a multi-destination source
 * and a bi-directional pair): a stand-in Athena client turns each CREATE EXTERNAL TABLE into a DuckDB view over the
 * files its symlink manifests list, and runs every SELECT as it is.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import {
  hiveLocation,
  inventoryRelation,
  inventoryTableDdl,
  prepareReconcile,
  runQuery,
  snapshotOf,
  tableName,
  type AthenaTarget,
  type InventorySnapshot,
} from '../../../engines/reconcile/athena';
import { reconcileSql } from '../../../engines/reconcile/query';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'reconcile-athena');
const manifestFixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const T = Date.parse('2026-11-20T12:00:00Z');
const OVERDUE = 15 * 60_000;
const at = (bucket: string) => ({ bucket: 'inventories', key: `inv/${bucket}/all-versions/2026-11-20T12-00Z/manifest.json` });
const noSleep = async () => undefined;

describe('snapshotOf: what a manifest says', () => {
  it('reads a CSV manifest: the columns in fileSchema order, named as the guide names them, and the snapshot partition', () => {
    const s = snapshotOf(at('photos-a'), manifestFixture('manifest-csv.json'));
    expect(s).toMatchObject({
      bucket: 'photos-a',
      inventoryBucket: 'inventories',
      configRoot: 'inv/photos-a/all-versions/',
      dt: '2026-11-20-12-00',
      createdAt: T,
      format: 'CSV',
    });
    expect(s.columns.slice(0, 11)).toEqual([
      'bucket',
      'key',
      'version_id',
      'is_latest',
      'is_delete_marker',
      'size',
      'last_modified_date',
      'e_tag',
      'storage_class',
      'is_multipart_uploaded',
      'replication_status',
    ]);
    expect(s.columns).toContain('object_lock_retain_until_date');
    expect(hiveLocation(s)).toBe('s3://inventories/inv/photos-a/all-versions/hive/');
  });

  it('reads a Parquet manifest from its message schema', () => {
    const s = snapshotOf(at('photos-b'), manifestFixture('manifest-parquet.json'));
    expect(s.format).toBe('Parquet');
    expect(s.columns.slice(0, 7)).toEqual(['bucket', 'key', 'version_id', 'is_latest', 'is_delete_marker', 'size', 'last_modified_date']);
  });

  it.each([
    ['ORC', { fileFormat: 'ORC' }, 'ORC inventory reports are not read by reconcile'],
    [
      'a schema without ReplicationStatus',
      { fileSchema: 'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate' },
      'the inventory lacks replication_status: enable ReplicationStatus in its configuration',
    ],
    [
      'current versions only',
      { fileSchema: 'Bucket, Key, Size, LastModifiedDate, ReplicationStatus' },
      'the inventory lacks version_id, is_delete_marker: enable VersionId (IncludedObjectVersions All), IsDeleteMarker (IncludedObjectVersions All)',
    ],
    ['a bad creation time', { creationTimestamp: 'yesterday' }, 'creationTimestamp "yesterday" is not a time in ms'],
    [
      'another destination bucket',
      { destinationBucket: 'arn:aws:s3:::elsewhere' },
      'the manifest says its report is in elsewhere, but it was found in inventories',
    ],
  ])('refuses %s, naming the manifest', (_what, change, message) => {
    expect(() => snapshotOf(at('photos-a'), { ...manifestFixture('manifest-csv.json'), ...change })).toThrow(
      `s3://inventories/inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json: ${message}`,
    );
  });

  it('refuses a manifest that is not where S3 writes manifests, or not under its bucket', () => {
    expect(() => snapshotOf({ bucket: 'inventories', key: 'inv/photos-a/manifest.json' }, manifestFixture('manifest-csv.json'))).toThrow(
      'not at <prefix><bucket>/<config ID>/<YYYY-MM-DDTHH-MMZ>/manifest.json',
    );
    expect(() => snapshotOf(at('photos-b'), manifestFixture('manifest-csv.json'))).toThrow('not under a photos-a/ folder');
  });
});

describe('the inventory tables', () => {
  const csv = snapshotOf(at('photos-a'), manifestFixture('manifest-csv.json'));
  const parquet = snapshotOf(at('photos-b'), manifestFixture('manifest-parquet.json'));

  it('declares the guide table over the hive/ symlinks: CSV every column as string in order, an injected dt', () => {
    const ddl = inventoryTableDdl(csv, 'crr_db');
    expect(ddl).toContain(`CREATE EXTERNAL TABLE IF NOT EXISTS \`crr_db\`.\`${tableName(csv)}\``);
    expect(ddl).toMatch(/\(\n {2}`bucket` string,\n {2}`key` string,\n {2}`version_id` string,\n {2}`is_latest` string,/);
    expect(ddl).toContain('PARTITIONED BY (dt string)');
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'");
    expect(ddl).toContain("STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'");
    expect(ddl).toContain("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat'");
    expect(ddl).toContain("LOCATION 's3://inventories/inv/photos-a/all-versions/hive/'");
    expect(ddl).toContain("'projection.enabled' = 'true'");
    expect(ddl).toContain("'projection.dt.type' = 'injected'");
  });

  it('declares Parquet columns by name with the guide types, only those reconcile reads', () => {
    const ddl = inventoryTableDdl(parquet, 'crr_db');
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'");
    expect(ddl).toContain('`size` bigint');
    expect(ddl).toContain('`last_modified_date` timestamp');
    expect(ddl).toContain('`is_delete_marker` boolean');
    expect(ddl).not.toContain('e_tag');
  });

  it('names a table after its bucket and what it declares: a schema change is a new table', () => {
    expect(tableName(csv)).toMatch(/^inventory_photos_a_[0-9a-f]{12}$/);
    const fewer = { ...csv, columns: csv.columns.filter((c) => c !== 'e_tag') };
    expect(tableName(fewer)).not.toBe(tableName(csv));
    expect(tableName({ ...csv, dt: '2026-11-21-12-00', createdAt: T + 86_400_000 })).toBe(tableName(csv));
  });

  it('reads one snapshot: the relation filters on its dt', () => {
    expect(inventoryRelation(csv, 't')).toContain("WHERE dt = '2026-11-20-12-00'");
    expect(inventoryRelation(parquet, 't')).toContain("WHERE dt = '2026-11-20-12-00'");
  });
});

describe('the Athena requests (aws-sdk-client-mock)', () => {
  const athena = mockClient(AthenaClient);
  beforeEach(() => athena.reset());
  const target = (change: Partial<AthenaTarget> = {}): AthenaTarget => ({
    client: new AthenaClient({ region: 'us-east-1' }),
    workgroup: 'crr-monitor-reconcile',
    database: 'crr_db',
    outputLocation: 's3://inventories/crr-monitor/reconcile/athena/',
    sleep: noSleep,
    ...change,
  });
  const page = (names: string[], rows: (string | null)[][], token?: string, header = false): GetQueryResultsOutput => ({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: names.map((Name) => ({ Name, Type: 'varchar' })) },
      Rows: [...(header ? [names] : []), ...rows].map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
    },
    NextToken: token,
  });

  it('creates a table per inventory, then counts: every query in the workgroup and database, results to the output', async () => {
    let n = 0;
    athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q${++n}` }));
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const cols = ['source', 'destination', 'category', 'n'];
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q3' })
      .resolvesOnce(page(cols, [['photos-a', 'photos-b', 'replicated', '2']], 't1', true))
      .resolvesOnce(page(cols, [['photos-a', 'photos-b', 'failed', '1']]));
    const snapshots: InventorySnapshot[] = [
      snapshotOf(at('photos-a'), manifestFixture('manifest-csv.json')),
      snapshotOf(at('photos-b'), manifestFixture('manifest-parquet.json')),
    ];
    const pairs = [{ source: 'photos-a', destination: 'photos-b' }];
    const prepared = await prepareReconcile({ target: target(), snapshots, pairs, overdueMillis: OVERDUE });
    const result = await prepared.counts();
    expect(result.queryExecutionId).toBe('q3');
    expect(result.pairs[0]).toMatchObject({ replicated: 2, failed: 1, sourceVersions: 3 });

    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(3);
    for (const s of starts) {
      expect(s.WorkGroup).toBe('crr-monitor-reconcile');
      expect(s.QueryExecutionContext).toEqual({ Database: 'crr_db' });
      expect(s.ResultConfiguration).toEqual({ OutputLocation: 's3://inventories/crr-monitor/reconcile/athena/' });
    }
    expect(starts[0].QueryString).toBe(inventoryTableDdl(snapshots[0], 'crr_db'));
    expect(starts[1].QueryString).toBe(inventoryTableDdl(snapshots[1], 'crr_db'));
    const tables = Object.fromEntries(snapshots.map((s) => [s.bucket, inventoryRelation(s, `"crr_db"."${tableName(s)}"`)]));
    expect(starts[2].QueryString).toBe(
      reconcileSql({ dialect: 'athena', pairs, tables, createdAt: { 'photos-a': T, 'photos-b': T }, overdueMillis: OVERDUE }),
    );
    // Pages are followed by their token, 1,000 rows at a time.
    const pages = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { QueryExecutionId: 'q3', MaxResults: 1000, NextToken: undefined },
      { QueryExecutionId: 'q3', MaxResults: 1000, NextToken: 't1' },
    ]);
  });

  it('polls with a doubling backoff capped at 5 s', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    const running = { QueryExecution: { Status: { State: 'RUNNING' as const } } };
    const calls = athena.on(GetQueryExecutionCommand);
    for (let i = 0; i < 7; i++) calls.resolvesOnce(running);
    calls.resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const waits: number[] = [];
    await runQuery(target({ sleep: async (ms) => void waits.push(ms) }), 'SELECT 1');
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it("throws Athena's reason when a query fails", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q9' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: 'generic',
          AthenaError: { ErrorMessage: 'TABLE_NOT_FOUND: line 1:15: Table x does not exist' },
        },
      },
    });
    await expect(runQuery(target(), 'SELECT * FROM x')).rejects.toThrow(
      'Athena query q9 FAILED: TABLE_NOT_FOUND: line 1:15: Table x does not exist',
    );
  });

  it('stops a query that outlives the timeout, and says so', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q5' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(runQuery(target({ timeoutMillis: 1_000 }), 'SELECT 1')).rejects.toThrow(
      'Athena query q5 still RUNNING after 2 s: stopped',
    );
    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q5' }]);
  });

  it('refuses pairs without an inventory of each bucket, before any query', async () => {
    const snapshots = [snapshotOf(at('photos-a'), manifestFixture('manifest-csv.json'))];
    await expect(
      prepareReconcile({ target: target(), snapshots, pairs: [{ source: 'photos-a', destination: 'photos-b' }], overdueMillis: OVERDUE }),
    ).rejects.toThrow('no inventory of photos-b, which the pairs need');
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });
});

// ---- the Athena SQL on DuckDB, over files as S3 writes them ----------------------------------------------------------

interface Version {
  key: string;
  v: string;
  st: '' | 'COMPLETED' | 'PENDING' | 'FAILED' | 'REPLICA';
  size?: number;
  dm?: boolean;
  new?: boolean;
}
const OLD = '2026-11-19T00:00:00.000Z';
const NEW = '2026-11-20T11:50:00.000Z'; // within the overdue window before the snapshots

const A: Version[] = [
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
const B: Version[] = [
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
const C: Version[] = [
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
async function writeReport(c: DuckDBConnection, root: string, bucket: string, format: 'CSV' | 'Parquet', versions: Version[]) {
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
class DuckDbAthena {
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

describe('the Athena form on DuckDB, over CSV and Parquet reports as S3 writes them', () => {
  let c: DuckDBConnection;
  let root: string;
  let snapshots: InventorySnapshot[];
  let athena: DuckDbAthena;
  const pairs = [
    { source: 'photos-a', destination: 'photos-b' },
    { source: 'photos-a', destination: 'photos-c' },
    { source: 'photos-b', destination: 'photos-a' },
  ];

  beforeAll(async () => {
    c = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
    await c.run("SET TimeZone = 'UTC'");
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-athena-'));
    snapshots = [
      await writeReport(c, root, 'photos-a', 'CSV', A),
      await writeReport(c, root, 'photos-b', 'Parquet', B),
      await writeReport(c, root, 'photos-c', 'CSV', C),
    ];
    athena = new DuckDbAthena(c, root);
  });
  afterAll(() => {
    c.closeSync();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const target = (): AthenaTarget => ({
    client: athena as unknown as AthenaClient,
    workgroup: 'wg',
    database: 'crr_db',
    outputLocation: 's3://inventories/out/',
    sleep: noSleep,
  });

  it('counts every kind exactly: a multi-destination source, a bi-directional pair, CSV keys decoded', async () => {
    const prepared = await prepareReconcile({ target: target(), snapshots, pairs, overdueMillis: OVERDUE });
    const { pairs: counts } = await prepared.counts();
    expect(counts).toEqual([
      {
        source: 'photos-a',
        destination: 'photos-b',
        sourceVersions: 8,
        replicated: 3, // one.jpg, "with space+plus.txt" (CSV: with+space%2Bplus.txt), unicode/é
        sizeMismatch: 0,
        failed: 1,
        pending: 1, // late: newer than Td − overdue
        overdue: 1,
        notReplicated: 1,
        completedButMissing: 1, // gone: COMPLETED, not in b
        orphanReplicas: 1, // orphan-b (orphan-b-new is newer than Ts − overdue)
        destinationOnly: 0, // b is a configured source: direct-b is b's own version
        deleteMarkers: { source: 1, replicated: 1, missing: 0 },
      },
      {
        source: 'photos-a',
        destination: 'photos-c',
        sourceVersions: 8,
        replicated: 3, // one.jpg, gone, unicode/é
        sizeMismatch: 1, // with space+plus.txt: 7 and 8 bytes
        failed: 1,
        pending: 1,
        overdue: 1,
        notReplicated: 1,
        completedButMissing: 0,
        orphanReplicas: 1,
        destinationOnly: 1, // direct-c: c is no configured source
        deleteMarkers: { source: 1, replicated: 0, missing: 1 },
      },
      {
        source: 'photos-b',
        destination: 'photos-a',
        sourceVersions: 3,
        replicated: 1, // b-own
        sizeMismatch: 0,
        failed: 1,
        pending: 0,
        overdue: 0,
        notReplicated: 1, // direct-b
        completedButMissing: 0,
        orphanReplicas: 1, // orphan-in-a
        destinationOnly: 0,
        deleteMarkers: { source: 0, replicated: 0, missing: 0 },
      },
    ]);
    // One table per report, then one query for every pair.
    expect(athena.statements.filter((s) => s.startsWith('CREATE EXTERNAL TABLE'))).toHaveLength(3);
  });

  it("lists a pair's failed, overdue and completed-but-missing versions, in key order", async () => {
    const prepared = await prepareReconcile({ target: target(), snapshots, pairs, overdueMillis: OVERDUE });
    const lines = [];
    for await (const line of prepared.manifest(pairs[0])) lines.push(line);
    expect(lines).toEqual([
      { bucket: 'photos-a', key: 'fail', versionId: 'v3' },
      { bucket: 'photos-a', key: 'gone', versionId: 'v7' },
      { bucket: 'photos-a', key: 'stuck', versionId: 'v6' },
    ]);
  });
});
