/**
 * `status s3://BUCKET/KEY`: one version in its source and in every configured destination, from HeadObject with
 * ChecksumMode ENABLED (replication status, size, ETag, additional checksums), and a verdict per destination:
 * `verified` when the checksums both sides carry agree, `differs` when one does not, `unknown` when they share none.
 * ETags are shown but never compared: with SSE-KMS under another key, or other part sizes, they differ for the same
 * bytes. A composite (multipart) checksum ends in `-<parts>`: two with different part counts cannot be compared.
 */
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ReplicationPair } from '../../lambda/core';
import { describeError } from './operator-clients';

const CHECKSUM_FIELDS = [
  'ChecksumCRC64NVME',
  'ChecksumCRC32',
  'ChecksumCRC32C',
  'ChecksumSHA1',
  'ChecksumSHA256',
  'ChecksumSHA512',
  'ChecksumMD5',
  'ChecksumXXHASH64',
  'ChecksumXXHASH3',
  'ChecksumXXHASH128',
] as const;

export interface VersionView {
  readonly bucket: string;
  readonly role: 'source' | 'destination';
  /** found, not-found (404), forbidden (403), or error (anything else, with the message). */
  readonly outcome: 'found' | 'not-found' | 'forbidden' | 'error';
  readonly versionId?: string;
  readonly replicationStatus?: string;
  readonly bytes?: number;
  readonly etag?: string;
  /** Algorithm (CRC32, SHA256, …) → value, plus its type when S3 says (FULL_OBJECT or COMPOSITE). */
  readonly checksums: Record<string, string>;
  readonly checksumType?: string;
  readonly error?: string;
  /** Destinations only. */
  readonly verdict?: 'verified' | 'differs' | 'unknown';
  readonly verdictDetail?: string;
}

function viewOf(bucket: string, role: VersionView['role'], out: HeadObjectCommandOutput): VersionView {
  const checksums: Record<string, string> = {};
  for (const field of CHECKSUM_FIELDS) {
    const value = out[field as keyof HeadObjectCommandOutput];
    if (typeof value === 'string' && value) checksums[field.slice('Checksum'.length)] = value;
  }
  return {
    bucket,
    role,
    outcome: 'found',
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
    ...(out.ReplicationStatus ? { replicationStatus: String(out.ReplicationStatus) } : {}),
    ...(out.ContentLength !== undefined ? { bytes: out.ContentLength } : {}),
    ...(out.ETag ? { etag: out.ETag } : {}),
    checksums,
    ...(out.ChecksumType ? { checksumType: String(out.ChecksumType) } : {}),
  };
}

const parts = (value: string) => /-(\d+)$/.exec(value)?.[1];

/** The verdict of a replica against its source, over the algorithms both carry. */
function compareChecksums(source: VersionView, replica: VersionView): Pick<VersionView, 'verdict' | 'verdictDetail'> {
  if (source.outcome !== 'found' || replica.outcome !== 'found') return { verdict: 'unknown', verdictDetail: 'not found on both sides' };
  const agreed: string[] = [];
  for (const [algorithm, value] of Object.entries(replica.checksums)) {
    const theirs = source.checksums[algorithm];
    if (theirs === undefined) continue;
    if (theirs === value) agreed.push(algorithm);
    else if (parts(theirs) !== parts(value))
      continue; // composite checksums over different part counts: not comparable
    else return { verdict: 'differs', verdictDetail: `${algorithm} ${value} ≠ source ${theirs}` };
  }
  if (agreed.length > 0) return { verdict: 'verified', verdictDetail: `${agreed.join(', ')} agree` };
  if (source.bytes !== undefined && replica.bytes !== undefined && source.bytes !== replica.bytes) {
    return { verdict: 'differs', verdictDetail: `size ${replica.bytes} ≠ source ${source.bytes}` };
  }
  return { verdict: 'unknown', verdictDetail: 'no additional checksum common to both' };
}

/** The source of `bucket` and its destinations: as configured, whether `bucket` is a source or a destination. */
export function placesOf(bucket: string, pairs: readonly ReplicationPair[]): { source: string; destinations: string[] }[] {
  const sources = pairs.some((p) => p.source === bucket)
    ? [bucket]
    : [...new Set(pairs.filter((p) => p.destination === bucket).map((p) => p.source))];
  return sources.map((source) => ({ source, destinations: pairs.filter((p) => p.source === source).map((p) => p.destination) }));
}

async function head(s3: S3Client, bucket: string, role: VersionView['role'], key: string, versionId?: string): Promise<VersionView> {
  try {
    const out = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}), ChecksumMode: 'ENABLED' }),
    );
    return viewOf(bucket, role, out);
  } catch (error) {
    const { error: message, httpStatus } = describeError(error);
    const outcome = httpStatus === 404 ? 'not-found' : httpStatus === 403 ? 'forbidden' : 'error';
    return { bucket, role, outcome, checksums: {}, ...(outcome === 'error' ? { error: message } : {}) };
  }
}

/**
 * HeadObject of the version in the source, then (with the version ID the source gave, when none was asked for) in
 * each destination. One HeadObject per bucket.
 */
export async function objectStatus(
  s3: S3Client,
  source: string,
  destinations: readonly string[],
  key: string,
  versionId?: string,
): Promise<VersionView[]> {
  const src = await head(s3, source, 'source', key, versionId);
  const version = versionId ?? src.versionId;
  const views: VersionView[] = [src];
  for (const destination of destinations) {
    const replica = await head(s3, destination, 'destination', key, version);
    views.push({ ...replica, ...compareChecksums(src, replica) });
  }
  return views;
}
