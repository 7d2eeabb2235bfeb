/**
 * Writes S3 Inventory reports as S3 lays them out (test/fixtures/inventory/README.md says where each shape comes
 * from): `<root>/<prefix>/<bucket>/<config>/<YYYY-MM-DDTHH-MMZ>/manifest.json` and data files under
 * `<root>/<prefix>/<bucket>/<config>/data/`, with real MD5s and sizes in the manifest.
 * - CSV: gzip (zlib), no header, every field double-quoted, keys URL-encoded (space as `+`, `/` kept), booleans
 *   `true`/`false`, LastModifiedDate `2022-12-12T13:20:39.000Z`, empty fields for a delete marker's size and ETag.
 * - Parquet: written by DuckDB's COPY … (FORMAT parquet), snake_case columns, last_modified_date a UTC timestamp.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface InventoryRow {
  readonly key: string;
  /** '' for a null version. */
  readonly versionId: string;
  readonly deleteMarker?: boolean;
  readonly size?: number;
  /** Epoch ms. */
  readonly lastModified: number;
  /** '' for none. */
  readonly status: string;
  readonly latest?: boolean;
}

export interface WrittenInventory {
  readonly manifest: string;
  /** The data files, in the manifest's order. */
  readonly dataFiles: string[];
}

const FULL_CSV_SCHEMA =
  'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus';

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace(':', '-') + 'Z';

/** S3's CSV key encoding: URL-encoded, a space as `+`, slashes left as they are. */
function inventoryCsvKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function csvLine(bucket: string, row: InventoryRow): string {
  const marker = row.deleteMarker ?? false;
  const fields = [
    bucket,
    inventoryCsvKey(row.key),
    row.versionId,
    String(row.latest ?? true),
    String(marker),
    marker ? '' : String(row.size ?? 1),
    new Date(row.lastModified).toISOString(),
    marker ? '' : 'd41d8cd98f00b204e9800998ecf8427e',
    marker ? '' : 'STANDARD',
    marker ? '' : 'false',
    row.status,
    marker ? '' : 'SSE-S3',
  ];
  return fields.map((f) => `"${f}"`).join(',') + '\n';
}

async function writeParquet(file: string, bucket: string, rows: readonly InventoryRow[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    await c.run(
      `CREATE TABLE t (bucket VARCHAR, key VARCHAR, version_id VARCHAR, is_latest BOOLEAN, is_delete_marker BOOLEAN, size BIGINT,
       last_modified_date TIMESTAMPTZ, e_tag VARCHAR, storage_class VARCHAR, is_multipart_uploaded BOOLEAN, replication_status VARCHAR)`,
    );
    for (const r of rows) {
      const marker = r.deleteMarker ?? false;
      await c.run(
        `INSERT INTO t VALUES (${q(bucket)}, ${q(r.key)}, ${r.versionId === '' ? 'NULL' : q(r.versionId)}, ${r.latest ?? true}, ${marker},
         ${marker ? 'NULL' : (r.size ?? 1)}, make_timestamptz(${r.lastModified * 1000}), ${marker ? 'NULL' : "'e'"}, 'STANDARD', false,
         ${r.status === '' ? 'NULL' : q(r.status)})`,
      );
    }
    await c.run(`COPY t TO ${q(file)} (FORMAT parquet)`);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

export interface InventorySpec {
  readonly root: string;
  readonly bucket: string;
  readonly format: 'CSV' | 'Parquet';
  readonly createdAt: number;
  /** Rows split over this many data files (S3 writes several for a large bucket). */
  readonly files?: number;
  readonly rows: readonly InventoryRow[];
  readonly prefix?: string;
  readonly config?: string;
  /** Overrides the manifest's fileSchema (e.g. one without ReplicationStatus). */
  readonly fileSchema?: string;
}

export async function writeInventory(spec: InventorySpec): Promise<WrittenInventory> {
  const prefix = spec.prefix ?? 'inventory';
  const config = spec.config ?? 'all-versions';
  const base = path.join(spec.root, prefix, spec.bucket, config);
  fs.mkdirSync(path.join(base, 'data'), { recursive: true });
  const n = spec.files ?? 1;
  const entries: { key: string; size: number; MD5checksum: string }[] = [];
  const dataFiles: string[] = [];
  for (let i = 0; i < n; i++) {
    const part = spec.rows.filter((_, j) => j % n === i);
    const name = `${spec.bucket}-${i}.${spec.format === 'CSV' ? 'csv.gz' : 'parquet'}`;
    const file = path.join(base, 'data', name);
    if (spec.format === 'CSV') fs.writeFileSync(file, zlib.gzipSync(part.map((r) => csvLine(spec.bucket, r)).join('')));
    else await writeParquet(file, spec.bucket, part);
    const bytes = fs.readFileSync(file);
    entries.push({
      key: `${prefix}/${spec.bucket}/${config}/data/${name}`,
      size: bytes.length,
      MD5checksum: createHash('md5').update(bytes).digest('hex'),
    });
    dataFiles.push(file);
  }
  const fileSchema =
    spec.fileSchema ??
    (spec.format === 'CSV'
      ? FULL_CSV_SCHEMA
      : 'message s3.inventory {  required binary bucket (STRING);  required binary key (STRING);  optional binary version_id (STRING);  optional boolean is_latest;  optional boolean is_delete_marker;  optional int64 size;  optional int64 last_modified_date (TIMESTAMP(MILLIS,true));  optional binary e_tag (STRING);  optional binary storage_class (STRING);  optional boolean is_multipart_uploaded;  optional binary replication_status (STRING);}');
  const manifestDir = path.join(base, stamp(spec.createdAt));
  fs.mkdirSync(manifestDir, { recursive: true });
  const manifest = path.join(manifestDir, 'manifest.json');
  fs.writeFileSync(
    manifest,
    JSON.stringify(
      {
        sourceBucket: spec.bucket,
        destinationBucket: 'arn:aws:s3:::inventory-reports',
        version: '2016-11-30',
        creationTimestamp: String(spec.createdAt),
        fileFormat: spec.format,
        fileSchema,
        files: entries,
      },
      null,
      2,
    ),
  );
  return { manifest, dataFiles };
}
