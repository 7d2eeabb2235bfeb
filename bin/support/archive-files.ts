/**
 * The archive's files for `report --archive`: every regular file under a local folder (Firehose names its objects
 * without a fixed extension), or every object under `s3://BUCKET/PREFIX` fetched with the SDK into a temporary
 * folder, a few at a time. With `since`, date folders (`dt=YYYY-MM-DD`, the archive date) before the day before it are
 * skipped: a row is archived when its outcome is decided, never before its source write (one day of slack for clocks).
 */
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../../lambda/shared/concurrency';

export interface ArchiveFiles {
  /** Each file's path and the name a message gives it (the s3:// URI of a downloaded object). */
  readonly files: { path: string; name: string }[];
  /** Removes what was downloaded (nothing for a local folder). */
  cleanup(): void;
}

const DATE_FOLDER = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\//;
const FETCH_CONCURRENCY = 8;

function before(key: string, since: number | undefined): boolean {
  if (since === undefined) return false;
  const match = DATE_FOLDER.exec(key);
  return match !== null && Date.parse(`${match[1]}T00:00:00Z`) < since - 86_400_000;
}

/** Regular files under `root` (or `root` itself), sorted, skipping date folders before `since`. */
export function localArchive(root: string, since?: number): ArchiveFiles {
  const files: { path: string; name: string }[] = [];
  const visit = (at: string) => {
    const stat = statSync(at);
    if (stat.isFile()) {
      if (!before(path.relative(root, at).split(path.sep).join('/'), since)) files.push({ path: at, name: at });
      return;
    }
    if (!stat.isDirectory()) return;
    for (const name of readdirSync(at).sort()) visit(path.join(at, name));
  };
  visit(root);
  return { files, cleanup: () => undefined };
}

/** Every object under `s3://bucket/prefix`, downloaded into a temporary folder. */
export async function s3Archive(s3: S3Client, bucket: string, prefix: string, since?: number): Promise<ArchiveFiles> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? [])
      if (object.Key && !object.Key.endsWith('/') && !before(object.Key, since)) keys.push(object.Key);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-archive-s3-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const files = keys.map((key, i) => ({ path: path.join(dir, String(i)), name: `s3://${bucket}/${key}` }));
    await mapLimit(keys, FETCH_CONCURRENCY, async (key, i) => {
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!Body) throw new Error(`${files[i].name}: empty response`);
      await pipeline(Body as Readable, createWriteStream(files[i].path));
    });
    return { files, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
