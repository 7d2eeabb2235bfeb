/**
 * Manifest parsing on the shapes S3 writes (test/fixtures/inventory/README.md): field names of CSV, Parquet and ORC
 * schemas, the string creationTimestamp, and refusals that name what is wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InventoryError, parseManifest, schemaColumns } from '../../../engines/reconcile/manifest';

const FIXTURES = path.join(__dirname, '../../fixtures/inventory');
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

// The User Guide's Parquet and ORC examples (their MD5checksum placeholders are not hex, so only the schemas are used).
const GUIDE_PARQUET =
  'message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional binary version_id (UTF8); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary e_tag (UTF8); optional binary storage_class (UTF8); optional boolean is_multipart_uploaded; optional binary replication_status (UTF8); optional binary encryption_status (UTF8);}';
const GUIDE_ORC =
  'struct<bucket:string,key:string,version_id:string,is_latest:boolean,is_delete_marker:boolean,size:bigint,last_modified_date:timestamp,e_tag:string,storage_class:string,is_multipart_uploaded:boolean,replication_status:string,encryption_status:string>';
const COLUMNS = [
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
  'encryption_status',
];

describe('schemaColumns', () => {
  it('reads the field names of every format as Athena column names, in order', () => {
    expect(
      schemaColumns(
        'CSV',
        'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus',
      ),
    ).toEqual(COLUMNS);
    expect(schemaColumns('Parquet', GUIDE_PARQUET)).toEqual(COLUMNS);
    expect(schemaColumns('ORC', GUIDE_ORC)).toEqual(COLUMNS);
  });
});

describe('parseManifest', () => {
  it("reads the User Guide's CSV manifest (creationTimestamp as a string)", () => {
    const m = parseManifest(read('user-guide-csv-manifest.json'), 'guide.json');
    expect(m).toMatchObject({ bucket: 'example-source-bucket', createdAt: 1514944800000, format: 'CSV' });
    expect(m.columns.slice(0, 3)).toEqual(['bucket', 'key', 'version_id']);
    expect(m.files).toEqual([
      {
        key: 'Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz',
        size: 2147483647,
        md5: 'f11166069f1990abeb9c97ace9cdfabc',
      },
    ]);
  });

  it('refuses a Parquet inventory without replication_status, naming the field to enable', () => {
    expect(() => parseManifest(read('parquet-current-versions-manifest.json'), 'lakefs.json')).toThrow(
      /lakefs\.json \(bucket lakefs-example-data\): fileSchema lacks ReplicationStatus, .*Replication status \(ReplicationStatus\)/,
    );
  });

  const guide = JSON.parse(read('user-guide-csv-manifest.json'));
  const variant = (change: Record<string, unknown>) => JSON.stringify({ ...guide, ...change });
  it.each<[string, string, RegExp]>([
    ['not JSON', '{', /x\.json: not JSON/],
    ['no files', variant({ files: [] }), /lists no data files/],
    ['a bad MD5', variant({ files: [{ key: 'k', size: 1, MD5checksum: 'nothex' }] }), /files\.0\.MD5checksum/],
    [
      'a key leaving the folder',
      variant({ files: [{ key: '../etc/x', size: 1, MD5checksum: 'f11166069f1990abeb9c97ace9cdfabc' }] }),
      /leaves the inventory's folder/,
    ],
    ['a file listed twice', variant({ files: [guide.files[0], guide.files[0]] }), /listed twice/],
    ['an unknown format', variant({ fileFormat: 'Avro' }), /fileFormat 'Avro': expected CSV, ORC or Parquet/],
    ['ORC', variant({ fileFormat: 'ORC', fileSchema: GUIDE_ORC }), /ORC inventories are not read offline/],
    ['a bad bucket', variant({ sourceBucket: 'Not_A_Bucket' }), /sourceBucket 'Not_A_Bucket' is not a bucket name/],
    ['a bad timestamp', variant({ creationTimestamp: 'yesterday' }), /creationTimestamp/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseManifest(text, 'x.json')).toThrow(InventoryError);
    expect(() => parseManifest(text, 'x.json')).toThrow(message);
  });
});
