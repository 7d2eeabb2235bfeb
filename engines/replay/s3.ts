/**
 * S3 objects as replay inputs: `s3://BUCKET/PREFIX` lists the objects under the prefix (only the kinds a folder
 * would be read for: `.json.gz` CloudTrail log files, `.json`, `.jsonl`/`.ndjson`, gzipped or not) in key order,
 * page by page, so parsing starts with the first page. With a date range, only the date folders in range are
 * listed: CloudTrail writes `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`, so a prefix down to
 * the region (or to a year, a month or a day of it) and a range give one listing per month wholly in range and
 * per day of the months at its ends, never the whole prefix. Objects are streamed (see engines/replay/inputs.ts
 * for the limits); a listing or a read that fails is named with the prefix or object it concerns.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { layoutOf, type Listed } from './inputs';

export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** `s3://bucket/prefix` (prefix may be empty), or undefined for anything else. */
export function parseS3Url(url: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  return match ? { bucket: match[1], prefix: match[2] ?? '' } : undefined;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day `YYYY-MM-DD` names, as epoch ms at 00:00 UTC, or undefined when it is not a real date. */
export function parseDay(text: string): number | undefined {
  const match = DAY.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = Date.UTC(year, month - 1, day);
  const date = new Date(at);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? at : undefined;
}

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** The prefix split into the part above CloudTrail's date folders and the days the prefix itself narrows to. */
function datedPrefix(prefix: string): { base: string; first?: number; last?: number } {
  // The date part is whole path segments: a 4-digit year, then optionally a 2-digit month and day.
  const match = /^(.*\/)?(\d{4})(?:\/(\d{2}))?(?:\/(\d{2}))?\/?$/.exec(prefix);
  if (!match) return { base: prefix === '' || prefix.endsWith('/') ? prefix : prefix + '/' };
  const [, base = '', year, month, day] = match;
  const y = Number(year);
  if (day !== undefined) {
    const at = Date.UTC(y, Number(month) - 1, Number(day));
    return { base, first: at, last: at };
  }
  if (month !== undefined) return { base, first: Date.UTC(y, Number(month) - 1, 1), last: Date.UTC(y, Number(month), 0) };
  return { base, first: Date.UTC(y, 0, 1), last: Date.UTC(y, 11, 31) };
}

/**
 * The prefixes to list for `prefix` and the days `since`..`until` (inclusive, UTC, epoch ms at midnight; either may
 * be absent: then the prefix's own dates bound it, and `today` ends an open range). A month wholly in range is one
 * prefix (`…/YYYY/MM/`), other days one each. Without a range: the prefix itself. Empty when nothing is in range.
 * Throws when the range has no start (neither `since` nor a dated prefix).
 */
export function prefixesFor(prefix: string, range: { since?: number; until?: number }, today: number): string[] {
  if (range.since === undefined && range.until === undefined) return [prefix];
  const { base, first, last } = datedPrefix(prefix);
  const start = Math.max(range.since ?? -Infinity, first ?? -Infinity);
  const end = Math.min(range.until ?? (last === undefined ? today : Infinity), last ?? Infinity);
  if (start === -Infinity) throw new RangeError('--until needs --since, or a prefix that names a year, month or day');
  const prefixes: string[] = [];
  for (let day = start; day <= end;) {
    const date = new Date(day);
    const [y, m] = [date.getUTCFullYear(), date.getUTCMonth()];
    const monthStart = Date.UTC(y, m, 1);
    const monthEnd = Date.UTC(y, m + 1, 0);
    if (day === monthStart && monthEnd <= end) {
      prefixes.push(`${base}${y}/${pad(m + 1)}/`);
      day = monthEnd + DAY_MS;
    } else {
      prefixes.push(`${base}${y}/${pad(m + 1)}/${pad(date.getUTCDate())}/`);
      day += DAY_MS;
    }
  }
  return prefixes;
}

/** An SDK error as `Name: message` (`AccessDenied: Access Denied`, `NoSuchBucket: The specified bucket does not exist`). */
function describeS3Error(error: unknown): string {
  const e = error as { name?: string; Code?: string; message?: string };
  const name = e?.name && e.name !== 'Error' ? e.name : e?.Code;
  const message = e?.message && e.message !== name && e.message !== 'UnknownError' ? e.message : '';
  return ([name, message].filter(Boolean).join(': ') || String(error)).replace(/\s*\n\s*/g, ' ');
}

/** An S3 failure that names what it concerns: thrown by `open`, described by the reader like any other failure. */
class S3ReadError extends Error {}

/**
 * The sources under `location` for the range, in key order per listed prefix; a failed listing is a failure naming
 * the prefix (a missing bucket ends the listing: every other prefix would fail the same way).
 */
export async function* s3Sources(
  client: S3Client,
  location: S3Location,
  range: { since?: number; until?: number },
  today: number,
): AsyncGenerator<Listed> {
  const { bucket } = location;
  let found = 0;
  for (const prefix of prefixesFor(location.prefix, range, today)) {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (error) {
        yield { failure: { file: `s3://${bucket}/${prefix}`, reason: `cannot list: ${describeS3Error(error)}` } };
        if ((error as { name?: string }).name === 'NoSuchBucket') return;
        break;
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        const layout = key === undefined ? undefined : layoutOf(key);
        if (key === undefined || !layout || key.endsWith('/')) continue;
        found++;
        yield { source: objectSource(client, bucket, key, layout, object.Size) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  if (found === 0)
    yield {
      failure: {
        file: `s3://${bucket}/${location.prefix}`,
        reason: 'no log files (.json.gz, .json, .jsonl, .ndjson, gzipped or not) under this prefix in the date range',
      },
    };
}

function objectSource(
  client: S3Client,
  bucket: string,
  key: string,
  layout: { layout: 'document' | 'lines'; gzipped: boolean },
  size: number | undefined,
) {
  return {
    name: `s3://${bucket}/${key}`,
    ...layout,
    size,
    open: async (): Promise<Readable> => {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return object.Body as Readable;
      } catch (error) {
        throw new S3ReadError(describeS3Error(error));
      }
    },
  };
}

/**
 * The client `analyze` reads S3 with: the standard credential chain and region, following a bucket's region
 * redirect. An endpoint (`--endpoint-url`, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: an emulator, MinIO) is
 * addressed path-style, which such endpoints expect.
 */
export function analyzeS3Client(endpoint?: string): S3Client {
  const configured = endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    followRegionRedirects: true,
    ...(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION ? {} : { region: 'us-east-1' }),
    ...(configured ? { endpoint: configured, forcePathStyle: true } : {}),
  });
}
