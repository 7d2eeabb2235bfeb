/**
 * S3 Inventory manifests (`manifest.json`): parsed, checked for what reconcile needs, and their data files found.
 *
 * The shape is what S3 writes (see test/fixtures/inventory/README.md for the samples it was modelled on):
 * `sourceBucket`, `destinationBucket` (an ARN), `version`, `creationTimestamp` (epoch ms, written as a string),
 * `fileFormat` (CSV | ORC | Parquet), `fileSchema` (CSV: the field names in column order, comma-separated; Parquet:
 * a Parquet message type; ORC: a Hive struct type), `files[]` (`key` in the inventory's destination bucket, `size`,
 * `MD5checksum`). Field names are held as the Athena table's column names (`Key` and `key` are both `key`).
 *
 * Nothing here reads a data file's contents: that is integrity.ts (MD5) and the engines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { bucketNameProblem } from '../../lambda/shared/config';

/** A bad manifest, a missing or corrupt data file, a schema without the needed fields: refused by name. */
export class InventoryError extends Error {}

type InventoryFormat = 'CSV' | 'Parquet' | 'ORC';

interface InventoryFile {
  /** The data file's key in the inventory's destination bucket, as the manifest gives it. */
  readonly key: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly md5: string;
}

export interface InventoryManifest {
  /** Where the manifest was read: a local path or an s3:// URL. */
  readonly location: string;
  /** The bucket the inventory lists. */
  readonly bucket: string;
  /** `creationTimestamp`: epoch ms. */
  readonly createdAt: number;
  readonly format: InventoryFormat;
  /** The columns, in file order for CSV, as Athena column names (`key`, `version_id`, `replication_status`, …). */
  readonly columns: readonly string[];
  readonly files: readonly InventoryFile[];
}

/** Manifest field names (CSV's fileSchema and the inventory configuration's) → Athena column names. */
const COLUMN_OF_FIELD: Record<string, string> = {
  Bucket: 'bucket',
  Key: 'key',
  VersionId: 'version_id',
  IsLatest: 'is_latest',
  IsDeleteMarker: 'is_delete_marker',
  Size: 'size',
  LastModifiedDate: 'last_modified_date',
  ETag: 'e_tag',
  StorageClass: 'storage_class',
  IsMultipartUploaded: 'is_multipart_uploaded',
  ReplicationStatus: 'replication_status',
  EncryptionStatus: 'encryption_status',
  ObjectLockRetainUntilDate: 'object_lock_retain_until_date',
  ObjectLockMode: 'object_lock_mode',
  ObjectLockLegalHoldStatus: 'object_lock_legal_hold_status',
  IntelligentTieringAccessTier: 'intelligent_tiering_access_tier',
  BucketKeyStatus: 'bucket_key_status',
  ChecksumAlgorithm: 'checksum_algorithm',
  ObjectAccessControlList: 'object_access_control_list',
  ObjectOwner: 'object_owner',
};

/** What reconcile reads, by the name the inventory configuration gives each field, and how to get it there. */
const NEEDED: readonly { field: string; column: string; enable: string }[] = [
  { field: 'Key', column: 'key', enable: 'Key (always listed)' },
  { field: 'VersionId', column: 'version_id', enable: 'object versions: All versions (IncludedObjectVersions All)' },
  { field: 'IsDeleteMarker', column: 'is_delete_marker', enable: 'object versions: All versions (IncludedObjectVersions All)' },
  { field: 'Size', column: 'size', enable: 'the optional field Size' },
  { field: 'LastModifiedDate', column: 'last_modified_date', enable: 'the optional field Last modified (LastModifiedDate)' },
  { field: 'ReplicationStatus', column: 'replication_status', enable: 'the optional field Replication status (ReplicationStatus)' },
];

/** A manifest is a small JSON document (one entry per data file): this bounds what is read before parsing. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const digits = z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]);
const MANIFEST = z.object({
  sourceBucket: z.string(),
  destinationBucket: z.string().optional(),
  creationTimestamp: digits,
  fileFormat: z.string(),
  fileSchema: z.string(),
  files: z.array(z.object({ key: z.string().min(1), size: digits, MD5checksum: z.string().regex(/^[0-9a-fA-F]{32}$/) })),
});

/** The column names a manifest's `fileSchema` lists, in order, as Athena column names. */
export function schemaColumns(format: InventoryFormat, schema: string): string[] {
  if (format === 'CSV')
    return schema
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '')
      .map((f) => COLUMN_OF_FIELD[f] ?? f.toLowerCase());
  if (format === 'Parquet') {
    // message s3.inventory { required binary bucket (STRING); optional int64 size; … }
    return [...schema.matchAll(/(?:required|optional|repeated)\s+\w+\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1].toLowerCase());
  }
  // struct<bucket:string,key:string,…>
  const body = /^\s*struct<(.*)>\s*$/s.exec(schema)?.[1] ?? '';
  return [...body.matchAll(/(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g)].map((m) => m[1].toLowerCase());
}

/** Parses and checks a manifest's text; `location` names it in every error. */
export function parseManifest(text: string, location: string): InventoryManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InventoryError(`inventory manifest ${location}: not JSON (${(error as Error).message})`);
  }
  const parsed = MANIFEST.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InventoryError(`inventory manifest ${location}: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  const m = parsed.data;
  const problem = bucketNameProblem(m.sourceBucket);
  if (problem)
    throw new InventoryError(`inventory manifest ${location}: sourceBucket '${m.sourceBucket}' is not a bucket name (${problem})`);
  const format = (['CSV', 'Parquet', 'ORC'] as const).find((f) => f.toLowerCase() === m.fileFormat.toLowerCase());
  if (!format) throw new InventoryError(`inventory manifest ${location}: fileFormat '${m.fileFormat}': expected CSV, ORC or Parquet`);
  if (format === 'ORC')
    throw new InventoryError(
      `inventory manifest ${location} (bucket ${m.sourceBucket}): ORC inventories are not read offline; ` +
        "set the inventory configuration's output format to CSV or Apache Parquet, or reconcile on Athena (--engine athena)",
    );
  const columns = schemaColumns(format, m.fileSchema);
  const missing = NEEDED.filter((n) => !columns.includes(n.column));
  if (missing.length > 0) {
    const enable = [...new Set(missing.map((n) => n.enable))].join('; ');
    throw new InventoryError(
      `inventory manifest ${location} (bucket ${m.sourceBucket}): fileSchema lacks ${missing.map((n) => n.field).join(', ')}, ` +
        `which reconcile needs; enable in the inventory configuration: ${enable}`,
    );
  }
  if (m.files.length === 0) throw new InventoryError(`inventory manifest ${location}: lists no data files`);
  const keys = new Set<string>();
  for (const file of m.files) {
    if (keys.has(file.key)) throw new InventoryError(`inventory manifest ${location}: data file ${file.key} is listed twice`);
    keys.add(file.key);
    if (file.key.split('/').includes('..') || file.key.startsWith('/'))
      throw new InventoryError(`inventory manifest ${location}: data file key ${file.key} leaves the inventory's folder`);
  }
  return {
    location,
    bucket: m.sourceBucket,
    createdAt: Number(m.creationTimestamp),
    format,
    columns,
    files: m.files.map((f) => ({ key: f.key, size: Number(f.size), md5: f.MD5checksum.toLowerCase() })),
  };
}

/** Reads and parses a local manifest. */
export function readLocalManifest(file: string): InventoryManifest {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new InventoryError(`inventory manifest ${file}: no such file`);
  }
  if (!stat.isFile()) throw new InventoryError(`inventory manifest ${file}: not a file`);
  if (stat.size > MAX_MANIFEST_BYTES)
    throw new InventoryError(`inventory manifest ${file}: ${stat.size} bytes, more than a manifest holds`);
  return parseManifest(fs.readFileSync(file, 'utf8'), file);
}

/**
 * The local path of each data file of a manifest read from disk. S3 lays an inventory out as
 * `<root>/<prefix>/<bucket>/<config>/<YYYY-MM-DDTHH-MMZ>/manifest.json` with data under
 * `<root>/<prefix>/<bucket>/<config>/data/…`, and the manifest's keys are relative to `<root>` (the inventory's
 * destination bucket): the root is the folder above the manifest's where the key is found. Failing that (a copy of
 * `<bucket>/<config>/` without the prefix above it), the key's part from `data/` on is looked for beside the
 * manifest's folder. The MD5 check then proves it is the right file.
 */
export function localDataFiles(manifest: InventoryManifest): string[] {
  const dir = path.dirname(path.resolve(manifest.location));
  const ancestors: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    ancestors.push(d);
    if (path.dirname(d) === d) break;
  }
  return manifest.files.map((file) => {
    const parts = file.key.split('/');
    for (const root of ancestors) {
      const candidate = path.join(root, ...parts);
      if (fs.existsSync(candidate)) return candidate;
    }
    const dataAt = parts.lastIndexOf('data');
    const beside = dataAt >= 0 ? path.join(path.dirname(dir), ...parts.slice(dataAt)) : undefined;
    if (beside && fs.existsSync(beside)) return beside;
    throw new InventoryError(
      `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${file.key} not found ` +
        `(looked for it as S3 lays an inventory out: relative to each folder above the manifest's, and in ${path.join(path.dirname(dir), 'data')})`,
    );
  });
}
