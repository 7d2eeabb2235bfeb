/**
 * Brings each inventory to local files an engine can read, and proves them: a manifest given as a path is read
 * where it lies; one given as `s3://bucket/key/manifest.json` is fetched with the SDK, its data files streamed to a
 * temporary folder (a few at a time). Every data file's size and MD5 must be the manifest's, or the inventory is
 * refused by name before anything is reported.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InventoryError, localDataFiles, MAX_MANIFEST_BYTES, parseManifest, readLocalManifest, type InventoryManifest } from './manifest';

/** An inventory ready to read: its manifest and its data files on local disk, each proven by size and MD5. */
export interface LocalInventory {
  readonly manifest: InventoryManifest;
  /** Parallel to `manifest.files`. */
  readonly paths: readonly string[];
}

export interface SourceOptions {
  /** Where s3:// inventories are downloaded (a folder that the caller removes). */
  readonly tempDir: string;
  /** The S3 client for s3:// inventories; created on first use. */
  readonly s3?: () => S3Client;
  /** How many data files are hashed or downloaded at once. */
  readonly concurrency?: number;
}

const DEFAULT_CONCURRENCY = 4;

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure (after the running ones end). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}

/** A pass-through that counts bytes and computes the MD5 of what flows through it. */
function digestTap(): Transform & { readonly digest: () => { md5: string; bytes: number } } {
  const hash = createHash('md5');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  let result: { md5: string; bytes: number } | undefined;
  return Object.assign(tap, { digest: () => (result ??= { md5: hash.digest('hex'), bytes }) });
}

function checkDigest(manifest: InventoryManifest, index: number, where: string, got: { md5: string; bytes: number }): void {
  const file = manifest.files[index];
  const name = `inventory ${manifest.location} (bucket ${manifest.bucket}): data file ${file.key} (${where})`;
  if (got.bytes !== file.size) throw new InventoryError(`${name}: ${got.bytes} bytes, the manifest says ${file.size}`);
  if (got.md5 !== file.md5)
    throw new InventoryError(`${name}: MD5 ${got.md5}, the manifest's MD5checksum is ${file.md5}: corrupt or replaced`);
}

async function hashFile(file: string): Promise<{ md5: string; bytes: number }> {
  const hash = createHash('md5');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { md5: hash.digest('hex'), bytes };
}

/** Parses `s3://bucket/key`. */
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

async function readBody(body: Readable, limit: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new InventoryError(`${what}: more than ${limit} bytes, more than a manifest holds`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function fromS3(url: string, index: number, options: SourceOptions): Promise<LocalInventory> {
  const where = parseS3Url(url);
  if (!where) throw new InventoryError(`--inventory ${url}: expected s3://BUCKET/KEY/manifest.json or a local path`);
  if (!options.s3) throw new InventoryError(`--inventory ${url}: no S3 client to fetch it with`);
  const s3 = options.s3();
  const get = async (key: string) => {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: key }));
      if (!out.Body) throw new Error('no body');
      return out.Body as Readable;
    } catch (error) {
      const e = error as Error & { name?: string };
      throw new InventoryError(`inventory s3://${where.bucket}/${key}: GetObject failed (${e.name ?? 'Error'}: ${e.message})`);
    }
  };
  const manifest = parseManifest(await readBody(await get(where.key), MAX_MANIFEST_BYTES, `inventory manifest ${url}`), url);
  const dir = path.join(options.tempDir, `inventory-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const paths = await mapLimit(manifest.files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file, i) => {
    // The data files are in the bucket the manifest is in (the inventory's destination), at their keys.
    const local = path.join(dir, `${i}-${path.basename(file.key)}`);
    const tap = digestTap();
    await pipeline(await get(file.key), tap, fs.createWriteStream(local));
    checkDigest(manifest, i, `s3://${where.bucket}/${file.key}`, tap.digest());
    return local;
  });
  return { manifest, paths };
}

async function fromDisk(file: string, options: SourceOptions): Promise<LocalInventory> {
  const manifest = readLocalManifest(file);
  const paths = localDataFiles(manifest);
  await mapLimit(paths, options.concurrency ?? DEFAULT_CONCURRENCY, async (p, i) => {
    const stat = fs.statSync(p);
    // The size first: a truncated file is refused without reading it.
    if (stat.size !== manifest.files[i].size) checkDigest(manifest, i, p, { md5: '', bytes: stat.size });
    checkDigest(manifest, i, p, await hashFile(p));
  });
  return { manifest, paths };
}

/**
 * Every inventory, fetched if need be and proven; one per bucket. Resolves only when all are ready, so a bad one
 * stops the run before anything is reported.
 */
export async function loadInventories(locations: readonly string[], options: SourceOptions): Promise<LocalInventory[]> {
  const inventories: LocalInventory[] = [];
  for (const [i, location] of locations.entries()) {
    inventories.push(location.startsWith('s3://') ? await fromS3(location, i, options) : await fromDisk(location, options));
  }
  const seen = new Map<string, string>();
  for (const { manifest } of inventories) {
    const other = seen.get(manifest.bucket);
    if (other)
      throw new InventoryError(`two inventories of bucket ${manifest.bucket}: ${other} and ${manifest.location}; give one per bucket`);
    seen.set(manifest.bucket, manifest.location);
  }
  return inventories;
}
