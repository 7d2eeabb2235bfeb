/**
 * s3:// inventories: the manifest and its data files fetched with GetObject (aws-sdk-client-mock serving files of an
 * inventory written as S3 lays it out), streamed to the temporary folder a few at a time, each proven by size and
 * MD5; a corrupt download or a failed GetObject refused by name.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { InventoryError } from '../../../engines/reconcile/manifest';
import { loadInventories } from '../../../engines/reconcile/sources';
import { writeInventory, type WrittenInventory } from '../../support/inventory';

const T = Date.parse('2026-11-20T00:00:00Z');
let root: string;
let tempDir: string;
let inv: WrittenInventory;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-'));
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-tmp-'));
  const rows = Array.from({ length: 40 }, (_, i) => ({
    key: `k ${i}`,
    versionId: `V${i}`,
    status: 'COMPLETED',
    lastModified: T - 3_600_000,
  }));
  inv = await writeInventory({ root, bucket: 'src-a', format: 'CSV', createdAt: T, rows, files: 10 });
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(tempDir, { recursive: true, force: true });
});

const url = () => `s3://inventory-reports/${path.relative(root, inv.manifest).split(path.sep).join('/')}`;

function serve(s3: ReturnType<typeof mockClient>, change: (key: string, bytes: Buffer) => Buffer = (_k, b) => b) {
  let inFlight = 0;
  let most = 0;
  s3.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    if (input.Bucket !== 'inventory-reports') throw Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket' });
    const file = path.join(root, ...input.Key.split('/'));
    if (!fs.existsSync(file)) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return { Body: Readable.from([change(input.Key, fs.readFileSync(file))]) };
  });
  return () => most;
}

describe('loadInventories from s3://', () => {
  it('fetches the manifest and every data file, at most 4 at a time, proven by MD5', async () => {
    const s3 = mockClient(S3Client);
    const most = serve(s3);
    try {
      const [loaded] = await loadInventories([url()], { tempDir, s3: () => new S3Client({ region: 'us-east-1' }) });
      expect(loaded.manifest).toMatchObject({ bucket: 'src-a', format: 'CSV', createdAt: T, location: url() });
      expect(loaded.paths).toHaveLength(10);
      for (const [i, p] of loaded.paths.entries()) expect(fs.readFileSync(p)).toEqual(fs.readFileSync(inv.dataFiles[i]));
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(11);
      expect(most()).toBeLessThanOrEqual(4);
      expect(most()).toBeGreaterThan(1);
    } finally {
      s3.restore();
    }
  });

  it('refuses a data file whose bytes are not the manifest MD5, by name', async () => {
    const s3 = mockClient(S3Client);
    serve(s3, (key, bytes) => (key.endsWith('src-a-3.csv.gz') ? Buffer.from(bytes.map((b, i) => (i === 20 ? b ^ 1 : b))) : bytes));
    try {
      await expect(loadInventories([url()], { tempDir, s3: () => new S3Client({ region: 'us-east-1' }) })).rejects.toThrow(
        /data file inventory\/src-a\/all-versions\/data\/src-a-3\.csv\.gz \(s3:\/\/inventory-reports\/.*\): MD5 [0-9a-f]{32}, the manifest's MD5checksum is/,
      );
    } finally {
      s3.restore();
    }
  });

  it('names the object a GetObject failed on', async () => {
    const s3 = mockClient(S3Client);
    serve(s3);
    try {
      const missing = url().replace('manifest.json', 'nothing.json');
      const error = await loadInventories([missing], { tempDir, s3: () => new S3Client({ region: 'us-east-1' }) }).catch((e) => e);
      expect(error).toBeInstanceOf(InventoryError);
      expect(error.message).toContain(`inventory ${missing}: GetObject failed (NoSuchKey`);
    } finally {
      s3.restore();
    }
  });
});
