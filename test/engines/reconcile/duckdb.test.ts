/**
 * The DuckDB engine on Parquet timestamps of every plausible shape (S3's TIMESTAMP(MILLIS,true), a timestamp
 * without the UTC flag, a bare int64 of epoch milliseconds): the same versions are pending or overdue whichever
 * it is, so the time is read as UTC in each.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { duckdbEngine } from '../../../engines/reconcile/duckdb';
import { runReconcile } from '../../../engines/reconcile/engine';
import { writeInventory } from '../../support/inventory';

const T = Date.parse('2026-11-20T00:00:00Z');
let dir: string;

beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-engine-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A source inventory whose last_modified_date column is `type`: 'new' 5 minutes before T, 'old' a day before. */
async function parquetSource(type: 'TIMESTAMPTZ' | 'TIMESTAMP' | 'BIGINT'): Promise<string> {
  const base = path.join(dir, type, 'inv', 'src-a', 'cfg');
  fs.mkdirSync(path.join(base, 'data'), { recursive: true });
  fs.mkdirSync(path.join(base, '2026-11-20T00-00Z'), { recursive: true });
  const file = path.join(base, 'data', 'part.parquet');
  const time = (ms: number) =>
    type === 'BIGINT' ? `${ms}::BIGINT` : type === 'TIMESTAMP' ? `make_timestamp(${ms * 1000})` : `make_timestamptz(${ms * 1000})`;
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET TimeZone = 'America/New_York'`); // the writer's zone must not matter
  await c.run(
    `COPY (SELECT 'src-a' AS bucket, k AS key, k AS version_id, false AS is_delete_marker, 1::BIGINT AS size, lm AS last_modified_date,
       'PENDING' AS replication_status FROM (VALUES ('new', ${time(T - 5 * 60_000)}), ('old', ${time(T - 86_400_000)})) v(k, lm))
     TO '${file}' (FORMAT parquet)`,
  );
  c.closeSync();
  instance.closeSync();
  const bytes = fs.readFileSync(file);
  const manifest = path.join(base, '2026-11-20T00-00Z', 'manifest.json');
  fs.writeFileSync(
    manifest,
    JSON.stringify({
      sourceBucket: 'src-a',
      creationTimestamp: String(T),
      fileFormat: 'Parquet',
      fileSchema:
        'message s3.inventory { required binary bucket (STRING); required binary key (STRING); optional binary version_id (STRING); optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date; optional binary replication_status (STRING);}',
      files: [{ key: 'inv/src-a/cfg/data/part.parquet', size: bytes.length, MD5checksum: createHash('md5').update(bytes).digest('hex') }],
    }),
  );
  return manifest;
}

it.each(['TIMESTAMPTZ', 'TIMESTAMP', 'BIGINT'] as const)('reads a Parquet last_modified_date stored as %s as UTC', async (type) => {
  const source = await parquetSource(type);
  const replica = await writeInventory({ root: path.join(dir, type), bucket: 'dst-b', format: 'CSV', createdAt: T, rows: [] });
  const tempDir = fs.mkdtempSync(path.join(dir, 'tmp-'));
  const result = await runReconcile(duckdbEngine({ memoryLimit: '256MB' }), {
    pairs: [{ source: 'src-a', destination: 'dst-b' }],
    inventories: [source, replica.manifest],
    overdueMillis: 15 * 60_000,
    examples: 2,
    tempDir,
  });
  expect(result.report.pairs[0]).toMatchObject({ sourceVersions: 2, pending: 1, overdue: 1 });
  expect([...result.examples].sort((a, b) => a.category.localeCompare(b.category))).toEqual([
    { source: 'src-a', destination: 'dst-b', category: 'overdue', key: 'old', versionId: 'old' },
    { source: 'src-a', destination: 'dst-b', category: 'pending', key: 'new', versionId: 'new' },
  ]);
  expect(result.report.inventories[0]).toMatchObject({ bucket: 'src-a', format: 'Parquet', files: 1, rows: 2 });
});
