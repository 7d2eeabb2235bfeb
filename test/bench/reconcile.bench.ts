/**
 * `npm run bench:reconcile`: two S3 Inventory reports of 10 million versions each (a source and its replica bucket,
 * Parquet by default or `-- --csv` for CSV.gz, split over several data files as S3 does; generated with DuckDB
 * itself, real MD5s in the manifests), reconciled by the DuckDB engine in a child process under DuckDB's memory
 * limit, spilling to a temporary folder. Prints the figures (seconds, rows/s, the child's peak RSS) and the counts;
 * asserts nothing. BENCH_VERSIONS sets the size, BENCH_MEMORY_LIMIT DuckDB's limit.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { duckdbEngine } from '../../engines/reconcile/duckdb';
import { runReconcile } from '../../engines/reconcile/engine';

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 10_000_000);
const FILES = 4;
const MEMORY_LIMIT = process.env.BENCH_MEMORY_LIMIT ?? '2GB';
const CREATED = Date.parse('2026-11-20T00:00:00Z');
const SECOND = 1_000_000; // µs

async function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The source: 96 % COMPLETED, 1 % FAILED, 1 % PENDING (half of them in the last minutes), 1 % without a status,
 * 1 % delete markers. The replica bucket: every COMPLETED version but 0.1 % (a few hundredths of them another size),
 * plus 0.5 % orphan replicas and 0.5 % destination-only versions. Row i of each is derived from i alone.
 */
/** Rows of data file `f` of `FILES`: each file a slice of the index ranges, so nothing is generated twice. */
function selectFor(side: 'source' | 'replica', csv: boolean, f: number): string {
  const slice = (from: number, to: number) =>
    `range(${from + Math.floor(((to - from) * f) / FILES)}, ${from + Math.floor(((to - from) * (f + 1)) / FILES)})`;
  const key = `'data/' || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') || '/object ' || CAST(i AS VARCHAR) || '+.bin'`;
  const vid = `md5(CAST(i AS VARCHAR))`;
  const lm = `make_timestamptz(${CREATED * 1000} - CAST(hash(i) % (90 * 86400) AS BIGINT) * ${SECOND} - ${3600 * SECOND})`;
  const status = `CASE WHEN i % 100 = 1 THEN 'FAILED' WHEN i % 100 = 2 THEN 'PENDING' WHEN i % 100 = 3 THEN '' ELSE 'COMPLETED' END`;
  const recent = `make_timestamptz(${CREATED * 1000} - ${60 * SECOND})`;
  const encode = (k: string) => (csv ? `replace(url_encode(${k}), '%2F', '/')` : k);
  if (side === 'source')
    return `SELECT 'bench-source' AS bucket, ${encode(key)} AS key, ${vid} AS version_id, true AS is_latest, i % 100 = 4 AS is_delete_marker,
      CASE WHEN i % 100 = 4 THEN NULL ELSE 1000 + i % 5000 END AS size,
      CASE WHEN i % 200 = 2 THEN ${recent} ELSE ${lm} END AS last_modified_date, 'etag' AS e_tag,
      CASE WHEN i % 100 = 4 THEN '' ELSE ${status} END AS replication_status
      FROM ${slice(0, VERSIONS)} t(i)`;
  // Replicas of the source's COMPLETED versions, less 1 in 1,000 (i % 1000 = 10); 1 in 10,000 another size; then
  // orphans (REPLICA, no source version) and direct writes, i ≥ VERSIONS.
  return `SELECT 'bench-replica' AS bucket, ${encode(key)} AS key, ${vid} AS version_id, true AS is_latest, false AS is_delete_marker,
      1000 + i % 5000 + CASE WHEN i % 10000 = 20 THEN 1 ELSE 0 END AS size, ${lm} AS last_modified_date, 'etag' AS e_tag, 'REPLICA' AS replication_status
      FROM ${slice(0, VERSIONS)} t(i) WHERE i % 100 NOT IN (1, 2, 3, 4) AND i % 1000 <> 10
    UNION ALL
    SELECT 'bench-replica', ${encode(key)}, ${vid}, true, false, 10, ${lm}, 'etag', CASE WHEN i % 2 = 0 THEN 'REPLICA' ELSE '' END
      FROM ${slice(VERSIONS, VERSIONS + extraReplicaRows())} t(i)`;
}

/** How many orphans and direct writes make the replica bucket as large as the source. */
function extraReplicaRows(): number {
  let kept = 0;
  for (let i = 0; i < 1000; i++) if (![1, 2, 3, 4].includes(i % 100) && i % 1000 !== 10) kept++;
  return VERSIONS - Math.floor((VERSIONS / 1000) * kept);
}

async function generate(dir: string, csv: boolean): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: '2GB',
    temp_directory: path.join(dir, 'gen-spill'),
    preserve_insertion_order: 'false',
  });
  const c = await instance.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const manifests: string[] = [];
  try {
    for (const side of ['source', 'replica'] as const) {
      const bucket = `bench-${side}`;
      const base = path.join(dir, 'inventory', bucket, 'all-versions');
      fs.mkdirSync(path.join(base, 'data'), { recursive: true });
      const files = [];
      for (let f = 0; f < FILES; f++) {
        const name = `${bucket}-${f}.${csv ? 'csv.gz' : 'parquet'}`;
        const file = path.join(base, 'data', name);
        const part = selectFor(side, csv, f);
        const rows = csv
          ? `SELECT bucket, key, version_id, CAST(is_latest AS VARCHAR), CAST(is_delete_marker AS VARCHAR), CAST(size AS VARCHAR),
               strftime(last_modified_date, '%Y-%m-%dT%H:%M:%S.000Z'), e_tag, replication_status FROM (${part})`
          : part;
        const format = csv
          ? `(FORMAT csv, HEADER false, QUOTE '"', FORCE_QUOTE *, COMPRESSION gzip)`
          : `(FORMAT parquet, COMPRESSION snappy)`;
        await c.run(`COPY (${rows}) TO '${file}' ${format}`);
        files.push({ key: `inventory/${bucket}/all-versions/data/${name}`, size: fs.statSync(file).size, MD5checksum: await md5(file) });
      }
      const stampDir = path.join(base, '2026-11-20T00-00Z');
      fs.mkdirSync(stampDir, { recursive: true });
      const manifest = path.join(stampDir, 'manifest.json');
      fs.writeFileSync(
        manifest,
        JSON.stringify({
          sourceBucket: bucket,
          destinationBucket: 'arn:aws:s3:::bench-inventories',
          version: '2016-11-30',
          creationTimestamp: String(CREATED),
          fileFormat: csv ? 'CSV' : 'Parquet',
          fileSchema: csv
            ? 'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, ReplicationStatus'
            : 'message s3.inventory { required binary bucket (STRING); required binary key (STRING); optional binary version_id (STRING); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP(MILLIS,true)); optional binary e_tag (STRING); optional binary replication_status (STRING);}',
          files,
        }),
      );
      manifests.push(manifest);
    }
  } finally {
    c.closeSync();
    instance.closeSync();
  }
  return manifests;
}

/** The child: one reconcile run, its figures as one JSON line. */
async function measure(manifests: string[], tempDir: string): Promise<void> {
  const started = process.hrtime.bigint();
  const result = await runReconcile(duckdbEngine({ memoryLimit: MEMORY_LIMIT }), {
    pairs: [{ source: 'bench-source', destination: 'bench-replica' }],
    inventories: manifests,
    overdueMillis: 15 * 60_000,
    examples: 3,
    tempDir,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(
    JSON.stringify({ seconds, cpuSeconds, stages: result.seconds, maxRssKiB: usage.maxRSS, report: result.report }) + '\n',
  );
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === '--child') return measure(args.slice(1), args[0]);
  const csv = mode === '--csv';
  // BENCH_DIR keeps the generated inventories there (and reuses them when they are already there).
  const keep = process.env.BENCH_DIR;
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crr-reconcile-bench-'));
  try {
    let t = Date.now();
    const existing = ['source', 'replica'].map((side) =>
      path.join(dir, 'inventory', `bench-${side}`, 'all-versions', '2026-11-20T00-00Z', 'manifest.json'),
    );
    const manifests = keep && existing.every((m) => fs.existsSync(m)) ? existing : await generate(dir, csv);
    const bytes = manifests
      .flatMap((m) => JSON.parse(fs.readFileSync(m, 'utf8')).files.map((f: { size: number }) => f.size))
      .reduce((a, b) => a + b, 0);
    console.log(
      `generated two ${csv ? 'CSV.gz' : 'Parquet'} inventories (${FILES} files each, ${(bytes / 2 ** 20).toFixed(0)} MiB) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    t = Date.now();
    const tempDir = path.join(dir, 'run');
    fs.mkdirSync(tempDir);
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', tempDir, ...manifests], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`reconcile child exited ${child.status}`);
    const figures = JSON.parse(child.stdout.trim().split('\n').pop()!);
    const rows = figures.report.inventories.reduce((s: number, i: { rows: number }) => s + i.rows, 0);
    console.log(JSON.stringify(figures.report.pairs[0]));
    console.log(
      `reconcile (DuckDB, memory_limit ${MEMORY_LIMIT}, ${os.cpus().length} cores): ${rows.toLocaleString('en-US')} inventory rows in ` +
        `${figures.seconds.toFixed(1)} s (MD5 of every file, load, join, manifest-ready counts) = ` +
        `${Math.round(rows / figures.seconds).toLocaleString('en-US')} rows/s; peak RSS ${(figures.maxRssKiB / 1024).toFixed(0)} MiB ` +
        `(child wall ${((Date.now() - t) / 1000).toFixed(1)} s with start-up)`,
    );
    const st = figures.stages;
    console.log(
      `stages: verify (MD5) ${st.verify.toFixed(1)} s, load ${st.load.toFixed(1)} s, query ${st.query.toFixed(1)} s; ` +
        `CPU ${figures.cpuSeconds.toFixed(1)} s (user + system, both cores); load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} ` +
        '(other processes share the cores: the wall time is only comparable at a low load)',
    );
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    else fs.rmSync(path.join(dir, 'run'), { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
