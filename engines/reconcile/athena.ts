/**
 * The reconcile on Amazon Athena (issue 16), for inventories too large for one machine and for the cloud reconcile
 * (lambda/reconcile): the same query text as the embedded engine (engines/reconcile/query.ts, dialect 'athena'),
 * over one Athena table per inventory report.
 *
 * The tables are the S3 User Guide's ("Querying Amazon S3 Inventory with Amazon Athena"): an external table over the
 * report's Hive symlink manifests, `LOCATION 's3://<inventory bucket>/<prefix><bucket>/<config ID>/hive/'`,
 * `SymlinkTextInputFormat`, partitioned by `dt` (the snapshot's `hive/dt=YYYY-MM-DD-HH-MM/symlink.txt`), OpenCSVSerde
 * for CSV and ParquetHiveSerDe for Parquet. Two choices differ from the guide's template, each for a reason:
 * - `dt` is an *injected* projection instead of a date range at an hourly interval: every reconcile reads exactly
 *   one snapshot, named by its manifest, and S3 stamps snapshots at whatever minute the run started — an injected
 *   value needs no alignment to an interval and no partition to be added.
 * - CSV columns are all `string`, in the manifest's `fileSchema` order (OpenCSVSerde maps by position; the guide says
 *   to drop the fields you did not select), and the relation handed to the query converts them: the URL-encoded key
 *   (`+` for a space), the empty size of a delete marker, the ISO-8601 LastModifiedDate. Parquet maps columns by
 *   name, so its table declares only the columns reconcile reads, with the guide's types.
 * A table's name carries a hash of its location, format and columns, so a report whose schema changes gets a new
 * table (`CREATE EXTERNAL TABLE IF NOT EXISTS`) and no table is ever altered or dropped.
 *
 * Queries: StartQueryExecution (WorkGroup, QueryExecutionContext.Database, ResultConfiguration.OutputLocation), then
 * GetQueryExecution with a backoff (250 ms doubling to 5 s) until it succeeds, fails (the error names Athena's reason)
 * or times out (StopQueryExecution, then an error), then GetQueryResults page by page (1,000 rows a page; the first
 * row of a SELECT's first page is its header).
 */
import { createHash } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { checkCoverage, type ReconcileEngine, type ReconcileRequest, type ReconcileResult } from './engine';
import { InventoryError, MAX_MANIFEST_BYTES } from './manifest';
import { countsFromRows, manifestSql, reconcileSql, type BucketPair, type CountRow, type PairCounts } from './query';

/** One inventory report (one snapshot of one bucket), as its manifest.json describes it. */
/** The report's `inventories[]`: the snapshots a reconcile used, with the rows counted in each. */
export function inventorySummaries(
  snapshots: Iterable<InventorySnapshot>,
  used: ReadonlySet<string>,
  rows: Readonly<Record<string, number>>,
): { bucket: string; createdAt: string; format: string; files: number; rows: number }[] {
  return [...snapshots]
    .filter((s) => used.has(s.bucket))
    .map((s) => ({
      bucket: s.bucket,
      createdAt: new Date(s.createdAt).toISOString(),
      format: s.format,
      files: s.files,
      rows: rows[s.bucket] ?? 0,
    }));
}

export interface InventorySnapshot {
  /** The inventoried bucket (the manifest's `sourceBucket`). */
  readonly bucket: string;
  /** The bucket that holds the report (the manifest's `destinationBucket`, and where manifest.json was found). */
  readonly inventoryBucket: string;
  /** `<prefix><bucket>/<config ID>/`: data/, hive/ and the dated manifest folders are below it. */
  readonly configRoot: string;
  /** The snapshot's Hive partition value, `YYYY-MM-DD-HH-MM` (its manifest folder is `YYYY-MM-DDTHH-MMZ`). */
  readonly dt: string;
  /** The manifest's `creationTimestamp`, epoch ms. */
  readonly createdAt: number;
  readonly format: 'CSV' | 'Parquet';
  /** The report's columns, in order, named as the guide's Athena table names them (`version_id`, `e_tag`, ...). */
  readonly columns: readonly string[];
  /** How many data files the manifest lists. */
  readonly files: number;
}

/** Columns reconcile reads (query.ts' relation contract): an inventory without them is refused by name. */
const NEEDED = ['key', 'version_id', 'is_delete_marker', 'size', 'last_modified_date', 'replication_status'] as const;
/** The inventory configuration field that gives each needed column (what to enable when it is missing). */
const FIELD_OF: Record<(typeof NEEDED)[number], string> = {
  key: 'Key',
  version_id: 'VersionId (IncludedObjectVersions All)',
  is_delete_marker: 'IsDeleteMarker (IncludedObjectVersions All)',
  size: 'Size',
  last_modified_date: 'LastModifiedDate',
  replication_status: 'ReplicationStatus',
};
/** The guide's Parquet types of the columns the Parquet table declares. */
const PARQUET_TYPES: Record<string, string> = {
  bucket: 'string',
  key: 'string',
  version_id: 'string',
  is_latest: 'boolean',
  is_delete_marker: 'boolean',
  size: 'bigint',
  last_modified_date: 'timestamp',
  replication_status: 'string',
};

const MANIFEST_KEY = /^((?:.*\/)?)(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})Z\/manifest\.json$/;

/** `Size` → `size`, `VersionId` → `version_id`, `ETag` → `e_tag`: the CSV fileSchema's names as the guide's columns. */
function columnName(field: string): string {
  return field.replace(/(?!^)([A-Z])/g, '_$1').toLowerCase();
}

function problem(where: string, message: string): Error {
  return new Error(`${where}: ${message}`);
}

/**
 * The snapshot a manifest.json describes, from where it was found (`s3://bucket/key` or bucket and key) and its
 * parsed content. Refuses, naming the manifest, anything reconcile cannot read: ORC, a schema without a needed field
 * (saying which inventory field to enable), a key not laid out as S3 lays out inventories.
 */
export function snapshotOf(location: { bucket: string; key: string }, manifest: unknown): InventorySnapshot {
  const where = `s3://${location.bucket}/${location.key}`;
  const m = manifest as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw problem(where, 'not an S3 Inventory manifest (not a JSON object)');
  const bucket = m.sourceBucket;
  if (typeof bucket !== 'string' || bucket === '') throw problem(where, 'the manifest has no sourceBucket');
  const created = Number(m.creationTimestamp);
  if (!Number.isSafeInteger(created) || created <= 0)
    throw problem(where, `creationTimestamp ${JSON.stringify(m.creationTimestamp)} is not a time in ms`);
  const destination = typeof m.destinationBucket === 'string' ? m.destinationBucket.replace(/^arn:[^:]+:s3:::/, '') : undefined;
  if (destination !== undefined && destination !== location.bucket)
    throw problem(where, `the manifest says its report is in ${destination}, but it was found in ${location.bucket}`);
  const layout = MANIFEST_KEY.exec(location.key);
  if (!layout)
    throw problem(where, 'not at <prefix><bucket>/<config ID>/<YYYY-MM-DDTHH-MMZ>/manifest.json, where S3 writes inventory manifests');
  const configRoot = layout[1];
  if (!configRoot.includes(`${bucket}/`)) throw problem(where, `the manifest of ${bucket} is not under a ${bucket}/ folder`);
  if (/['\\]/.test(configRoot) || /['\\]/.test(location.bucket)) throw problem(where, 'a quote or backslash in the report location');
  const format = m.fileFormat;
  if (format === 'ORC') throw problem(where, 'ORC inventory reports are not read by reconcile: configure the inventory as CSV or Parquet');
  if (format !== 'CSV' && format !== 'Parquet') throw problem(where, `fileFormat ${JSON.stringify(format)} is not CSV or Parquet`);
  if (typeof m.fileSchema !== 'string') throw problem(where, 'the manifest has no fileSchema');
  const columns =
    format === 'CSV'
      ? m.fileSchema.split(',').map((f) => columnName(f.trim()))
      : [...m.fileSchema.matchAll(/(?:required|optional|repeated)\s+\w+\s+(\w+)/g)].map((x) => x[1].toLowerCase());
  for (const c of columns)
    if (!/^[a-z][a-z0-9_]*$/.test(c)) throw problem(where, `fileSchema column ${JSON.stringify(c)} is not a column name`);
  if (new Set(columns).size !== columns.length) throw problem(where, 'fileSchema names a column twice');
  const missing = NEEDED.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw problem(
      where,
      `the inventory lacks ${missing.join(', ')}: enable ${missing.map((c) => FIELD_OF[c]).join(', ')} in its configuration`,
    );
  }
  return {
    bucket,
    inventoryBucket: location.bucket,
    configRoot,
    dt: `${layout[2]}-${layout[3]}-${layout[4]}`,
    createdAt: created,
    format,
    columns,
    files: Array.isArray(m.files) ? m.files.length : 0,
  };
}

/** An Athena identifier for the inventory table of a snapshot: bucket name plus a hash of what the table declares. */
export function tableName(snapshot: InventorySnapshot): string {
  const declared = JSON.stringify([snapshot.inventoryBucket, snapshot.configRoot, snapshot.format, tableColumns(snapshot)]);
  const hash = createHash('sha256').update(declared).digest('hex').slice(0, 12);
  return `inventory_${snapshot.bucket.replace(/[^a-z0-9]/g, '_')}_${hash}`;
}

function tableColumns(snapshot: InventorySnapshot): [string, string][] {
  if (snapshot.format === 'CSV') return snapshot.columns.map((c) => [c, 'string']);
  return snapshot.columns.filter((c) => c in PARQUET_TYPES).map((c) => [c, PARQUET_TYPES[c]]);
}

/** The report's Hive folder: `s3://<inventory bucket>/<prefix><bucket>/<config ID>/hive/`. */
export function hiveLocation(snapshot: InventorySnapshot): string {
  return `s3://${snapshot.inventoryBucket}/${snapshot.configRoot}hive/`;
}

/** CREATE EXTERNAL TABLE IF NOT EXISTS over the snapshot's report, as the guide lays it out (see the module comment). */
export function inventoryTableDdl(snapshot: InventorySnapshot, database: string): string {
  const columns = tableColumns(snapshot)
    .map(([name, type]) => `  \`${name}\` ${type}`)
    .join(',\n');
  const serde =
    snapshot.format === 'CSV'
      ? "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'"
      : "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'";
  return `CREATE EXTERNAL TABLE IF NOT EXISTS \`${database}\`.\`${tableName(snapshot)}\` (
${columns}
)
PARTITIONED BY (dt string)
${serde}
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat'
LOCATION '${hiveLocation(snapshot)}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'injected'
)`;
}

/**
 * The snapshot's rows as query.ts reads them (its relation contract), from the table named `table`, in a text both
 * Athena and DuckDB run: CSV values are strings (the key URL-encoded with `+` for a space, so `+` becomes `%20` before
 * url_decode, which Trino and DuckDB then read alike), Parquet values are already typed.
 */
export function inventoryRelation(snapshot: InventorySnapshot, table: string): string {
  const where = `WHERE dt = '${snapshot.dt}'`;
  if (snapshot.format === 'Parquet') {
    return `(SELECT "key", version_id, is_delete_marker, size, last_modified_date, replication_status FROM ${table} ${where})`;
  }
  return (
    `(SELECT url_decode(replace("key", '+', '%20')) AS "key", version_id, ` +
    `lower(is_delete_marker) = 'true' AS is_delete_marker, CAST(NULLIF(size, '') AS BIGINT) AS size, ` +
    `CAST(replace(replace(NULLIF(last_modified_date, ''), 'T', ' '), 'Z', '') AS TIMESTAMP) AS last_modified_date, ` +
    `replication_status FROM ${table} ${where})`
  );
}

export interface AthenaTarget {
  readonly client: Pick<AthenaClient, 'send'>;
  readonly workgroup: string;
  readonly database: string;
  /** `s3://bucket/prefix/`: where Athena writes query results. */
  readonly outputLocation: string;
  /** Give up on a query (and stop it) after this long; default 10 minutes. */
  readonly timeoutMillis?: number;
  /** Waits between polls; injectable so that tests need not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 5_000;
const PAGE_SIZE = 1_000;

/** Runs one statement on Athena and returns its QueryExecutionId once it has succeeded. */
export async function runQuery(target: AthenaTarget, sql: string): Promise<string> {
  const started = await target.client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: target.workgroup,
      QueryExecutionContext: { Database: target.database },
      ResultConfiguration: { OutputLocation: target.outputLocation },
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
  const sleep = target.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeout = target.timeoutMillis ?? 600_000;
  let waited = 0;
  for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
    const { QueryExecution: execution } = await target.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = execution?.Status?.State;
    if (state === 'SUCCEEDED') return id;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = execution?.Status?.AthenaError?.ErrorMessage ?? execution?.Status?.StateChangeReason ?? 'no reason given';
      throw new Error(`Athena query ${id} ${state}: ${reason}`);
    }
    if (waited >= timeout) {
      await target.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      throw new Error(`Athena query ${id} still ${state ?? 'unknown'} after ${Math.round(waited / 1000)} s: stopped`);
    }
    await sleep(delay);
    waited += delay;
  }
}

/** A succeeded query's rows as objects of strings (NULL as null), page by page, the header row skipped. */
async function* queryRows(target: AthenaTarget, queryExecutionId: string): AsyncGenerator<Record<string, string | null>> {
  let token: string | undefined;
  let first = true;
  do {
    const page = await target.client.send(
      new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: PAGE_SIZE, NextToken: token }),
    );
    const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
    const rows = page.ResultSet?.Rows ?? [];
    for (let i = 0; i < rows.length; i++) {
      const values = (rows[i].Data ?? []).map((d) => d.VarCharValue ?? null);
      if (first && i === 0 && values.length === names.length && values.every((v, j) => v === names[j])) continue;
      yield Object.fromEntries(names.map((name, j) => [name, values[j] ?? null]));
    }
    first = false;
    token = page.NextToken;
  } while (token);
}

export interface AthenaReconcileRequest {
  readonly target: AthenaTarget;
  /** One snapshot per bucket of every pair. */
  readonly snapshots: readonly InventorySnapshot[];
  readonly pairs: readonly BucketPair[];
  readonly overdueMillis: number;
}

interface AthenaReconcile {
  readonly pairs: PairCounts[];
  /** The query that counted, for the record (its result CSV is in the output location). */
  readonly queryExecutionId: string;
}

/** One line of a Batch Operations manifest: a source version to replicate again. */
interface RedriveVersion {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
}

/** The tables are ready: count every pair, or list one pair's versions to redrive. */
export interface PreparedReconcile {
  counts(): Promise<AthenaReconcile>;
  /** How many rows each bucket's snapshot has (one query over every table). */
  rows(): Promise<Record<string, number>>;
  /** One pair's failed, overdue and completed-but-missing versions, in key order, streamed page by page. */
  manifest(pair: BucketPair): AsyncGenerator<RedriveVersion>;
}

/**
 * Creates (when not there yet) one table per snapshot the pairs need, then returns the two queries over them: the
 * counts (reconcileSql) and each pair's Batch Operations manifest (manifestSql), both in the 'athena' dialect.
 */
export async function prepareReconcile(request: AthenaReconcileRequest): Promise<PreparedReconcile> {
  const byBucket = new Map<string, InventorySnapshot>();
  for (const s of request.snapshots) {
    if (byBucket.has(s.bucket)) throw new Error(`two inventories of ${s.bucket}: give one snapshot per bucket`);
    byBucket.set(s.bucket, s);
  }
  const tables: Record<string, string> = {};
  const createdAt: Record<string, number> = {};
  const buckets = [...new Set(request.pairs.flatMap((p) => [p.source, p.destination]))];
  // Every inventory is there before any query starts: nothing half-done for a missing one.
  for (const bucket of buckets) if (!byBucket.has(bucket)) throw new Error(`no inventory of ${bucket}, which the pairs need`);
  for (const bucket of buckets) {
    const snapshot = byBucket.get(bucket)!;
    await runQuery(request.target, inventoryTableDdl(snapshot, request.target.database));
    tables[bucket] = inventoryRelation(snapshot, `"${request.target.database}"."${tableName(snapshot)}"`);
    createdAt[bucket] = snapshot.createdAt;
  }
  const options = { dialect: 'athena' as const, pairs: request.pairs, tables, createdAt, overdueMillis: request.overdueMillis };
  return {
    async counts() {
      const id = await runQuery(request.target, reconcileSql(options));
      const rows: CountRow[] = [];
      for await (const row of queryRows(request.target, id)) {
        rows.push({ source: row.source ?? '', destination: row.destination ?? '', category: row.category ?? '', n: row.n ?? '' });
      }
      return { pairs: countsFromRows(rows, request.pairs), queryExecutionId: id };
    },
    async rows() {
      const sql = Object.entries(tables)
        .map(([bucket, relation]) => `SELECT '${bucket}' AS "bucket", COUNT(*) AS n FROM ${relation} x`)
        .join('\nUNION ALL\n');
      const counted: Record<string, number> = {};
      for await (const row of queryRows(request.target, await runQuery(request.target, sql))) counted[row.bucket ?? ''] = Number(row.n);
      return counted;
    },
    async *manifest(pair) {
      if (!request.pairs.some((p) => p.source === pair.source && p.destination === pair.destination))
        throw new Error(`${pair.source} → ${pair.destination} is not one of the pairs prepared`);
      const id = await runQuery(request.target, manifestSql({ ...options, pair }));
      for await (const row of queryRows(request.target, id)) {
        if (!row.key) throw new Error(`Athena query ${id}: a manifest row without a key`);
        yield { bucket: row.bucket ?? pair.source, key: row.key, versionId: row.version_id ?? 'null' };
      }
    },
  };
}

// ---- the engine of `crr-monitor reconcile --engine athena` ----------------------------------------------------------

export interface AthenaEngineOptions {
  readonly athena: () => Pick<AthenaClient, 'send'>;
  readonly workgroup: string;
  readonly database: string;
  /** `s3://bucket/prefix/`: where Athena writes query results. */
  readonly outputLocation: string;
}

/** `s3://bucket/key` → its parts, or undefined. */
function s3Location(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/**
 * The Athena engine for the command line: the inventories stay where S3 wrote them (Athena reads them there), so
 * every manifest must be an `s3://` one; only the manifests are fetched. Examples are not listed (Athena renders an
 * array as one string that keys with ', ' would make ambiguous); the counts, the rows and the manifest are exact.
 */
export function athenaEngine(options: AthenaEngineOptions): ReconcileEngine {
  return {
    name: 'athena',
    async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
      const started = Date.now();
      const snapshots: InventorySnapshot[] = [];
      for (const uri of request.inventories) {
        const at = s3Location(uri);
        if (!at)
          throw new InventoryError(
            `--inventory ${uri}: the athena engine reads inventories where S3 wrote them; give s3://bucket/…/manifest.json`,
          );
        if (!request.s3) throw new InventoryError(`--inventory ${uri}: no S3 client to read it with`);
        let text: string;
        try {
          const out = await request.s3().send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
          if ((out.ContentLength ?? 0) > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
          text = (await out.Body?.transformToString('utf-8')) ?? '';
        } catch (error) {
          throw new InventoryError(`--inventory ${uri}: cannot read it: ${(error as Error).message}`, { cause: error });
        }
        try {
          snapshots.push(snapshotOf(at, JSON.parse(text)));
        } catch (error) {
          throw new InventoryError(
            (error as Error).message.startsWith('s3://') ? (error as Error).message : `${uri}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
      }
      checkCoverage(request.pairs, new Set(snapshots.map((s) => s.bucket)));
      const loaded = Date.now();
      const used = new Set(request.pairs.flatMap((p) => [p.source, p.destination]));
      const target: AthenaTarget = {
        client: options.athena(),
        workgroup: options.workgroup,
        database: options.database,
        outputLocation: options.outputLocation,
      };
      const prepared = await prepareReconcile({
        target,
        snapshots: snapshots.filter((s) => used.has(s.bucket)),
        pairs: request.pairs,
        overdueMillis: request.overdueMillis,
      });
      // Athena proves nothing by MD5 (it reads the data where it is): verify is reading the manifests, load the tables.
      const tablesReady = Date.now();
      const { pairs } = await prepared.counts();
      const rows = await prepared.rows();
      const queried = Date.now();
      let manifestCount: number | undefined;
      if (request.manifest) {
        const pair = request.manifest.pair;
        manifestCount = await request.manifest.write(
          (async function* () {
            for await (const v of prepared.manifest(pair)) yield { key: v.key, versionId: v.versionId };
          })(),
        );
      }
      const inventories = inventorySummaries(snapshots, used, rows);
      return {
        report: { pairs, inventories },
        examples: [],
        manifestCount,
        seconds: { verify: (loaded - started) / 1000, load: (tablesReady - loaded) / 1000, query: (queried - tablesReady) / 1000 },
      };
    },
  };
}
