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
import { A, B, C, DuckDbAthena, writeReport } from '../../support/athena-duckdb';

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
