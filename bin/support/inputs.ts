/**
 * Reads what `analyze` and `local --events` are given: CloudTrail log files (`.json`, `.json.gz`), JSON Lines
 * files (`.jsonl`, `.ndjson`, gzipped or not) and folders of them, in name order. The input may be hostile, so
 * every read is bounded and linear:
 * - lines are split on bytes as they stream in; a line longer than `maxLineBytes` is rejected with its place
 *   and skipped without ever being held whole;
 * - a gzipped file stops inflating past `maxInflatedBytes` (a gzip bomb is rejected and named; what was read
 *   before the cap stays analysed), as does any stream whose size is not known in advance (a pipe);
 * - a whole document (a log file) is held only up to `maxDocumentBytes`;
 * - symbolic links inside folders are followed, each directory once (a loop is named, not walked forever),
 *   each file once; FIFOs, sockets and devices inside folders are named and not read.
 * Nothing here throws for a bad input: each problem goes to `sink.failure` and reading goes on.
 */
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline, Transform, type Readable } from 'node:stream';

/** One unit of input: a whole JSON document (a log file) or one line of a JSON Lines file. */
export interface InputUnit {
  readonly text: string;
  readonly file: string;
  /** 1-based line number for JSON Lines; absent for whole-file documents. */
  readonly line?: number;
}

/** An input that could not be read at all (missing file, truncated gzip, too long a line...). */
interface InputFailure {
  readonly file: string;
  readonly line?: number;
  readonly reason: string;
}

/** Where an input came from, as `file:line` for JSON Lines and `file` for whole documents. */
export const placeOf = (unit: { readonly file: string; readonly line?: number }): string =>
  unit.line ? `${unit.file}:${unit.line}` : unit.file;

export interface InputSink {
  unit(unit: InputUnit): void;
  failure(failure: InputFailure): void;
}

export interface InputLimits {
  /** Longest JSON line accepted (CloudTrail and EventBridge events are a few KB). */
  readonly maxLineBytes: number;
  /** Most bytes one gzipped file (or one stream of unknown size) may inflate to. */
  readonly maxInflatedBytes: number;
  /** Largest whole document (a CloudTrail log file) held in memory. */
  readonly maxDocumentBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_LIMITS: InputLimits = { maxLineBytes: 4 * MiB, maxInflatedBytes: 512 * MiB, maxDocumentBytes: 128 * MiB };

type Layout = 'document' | 'lines';

const KNOWN: readonly [suffix: string, layout: Layout, gzipped: boolean][] = [
  ['.json.gz', 'document', true],
  ['.jsonl.gz', 'lines', true],
  ['.ndjson.gz', 'lines', true],
  ['.json', 'document', false],
  ['.jsonl', 'lines', false],
  ['.ndjson', 'lines', false],
];

function layoutOf(file: string): { layout: Layout; gzipped: boolean } | undefined {
  const lower = file.toLowerCase();
  const match = KNOWN.find(([suffix]) => lower.endsWith(suffix));
  return match ? { layout: match[1], gzipped: match[2] } : undefined;
}

/** An input stopped on purpose (a limit): named with its reason, like any other unreadable input. */
class LimitExceeded extends Error {}

const sizeText = (bytes: number) => (bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`);

/**
 * Reads `paths` into `sink`. A path given explicitly with another extension is read as JSON Lines; one given
 * explicitly may be a pipe (e.g. `<(zcat ...)`), read under `maxInflatedBytes`.
 */
export async function readInputs(paths: readonly string[], sink: InputSink, limits: InputLimits = DEFAULT_LIMITS): Promise<void> {
  const seen = new Set<string>();
  for (const given of paths) {
    let stat: Stats;
    try {
      stat = await fs.stat(given);
    } catch (error) {
      sink.failure({ file: given, reason: describeError(error) });
      continue;
    }
    if (stat.isDirectory()) {
      const files: string[] = [];
      await listFiles(given, stat, new Set(), seen, files, sink);
      for (const file of files) await readFile(file, layoutOf(file)!, true, sink, limits);
    } else {
      await readFile(given, layoutOf(given) ?? { layout: 'lines', gzipped: false }, stat.isFile(), sink, limits);
    }
  }
}

const identity = (stat: Stats) => `${stat.dev}:${stat.ino}`;

function specialKind(stat: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string | undefined {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return undefined;
}

/**
 * Collects the input files under `dir`. `ancestors` holds the directories being walked (a symlink back to one
 * of them is a loop); `seen` the files already listed (reached twice through links, read once).
 */
async function listFiles(
  dir: string,
  dirStat: Stats,
  ancestors: Set<string>,
  seen: Set<string>,
  found: string[],
  sink: InputSink,
): Promise<void> {
  const id = identity(dirStat);
  ancestors.add(id);
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    sink.failure({ file: dir, reason: describeError(error) });
    ancestors.delete(id);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    let stat: Stats;
    try {
      stat = entry.isSymbolicLink() ? await fs.stat(full) : await fs.lstat(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = entry.isSymbolicLink() && (code === 'ENOENT' || code === 'ELOOP') ? 'broken symbolic link' : describeError(error);
      sink.failure({ file: full, reason: `${reason}; not read` });
      continue;
    }
    if (stat.isDirectory()) {
      if (ancestors.has(identity(stat)))
        sink.failure({ file: full, reason: 'symbolic link loop (links to a folder being read); not followed' });
      else await listFiles(full, stat, ancestors, seen, found, sink);
      continue;
    }
    const special = specialKind(stat);
    if (special) {
      sink.failure({ file: full, reason: `${special}, not a file; not read` });
      continue;
    }
    if (!stat.isFile() || !layoutOf(entry.name)) continue;
    const fileId = identity(stat);
    if (seen.has(fileId)) continue; // the same file through another link: read once
    seen.add(fileId);
    found.push(full);
  }
  ancestors.delete(id);
}

async function readFile(
  file: string,
  { layout, gzipped }: { layout: Layout; gzipped: boolean },
  regular: boolean,
  sink: InputSink,
  limits: InputLimits,
) {
  if (layout === 'document') {
    try {
      const text = await readDocument(file, gzipped, regular, limits);
      sink.unit({ text, file });
    } catch (error) {
      sink.failure({ file, reason: describeError(error) });
    }
    return;
  }
  let line = 0;
  try {
    const stream = openStream(file, gzipped || !regular ? limits.maxInflatedBytes : Infinity, gzipped);
    await forEachLine(stream, limits.maxLineBytes, (text) => {
      line++;
      if (text === undefined) sink.failure({ file, line, reason: `line longer than ${sizeText(limits.maxLineBytes)}; skipped` });
      else if (text.trim() !== '') sink.unit({ text, file, line });
    });
  } catch (error) {
    sink.failure({ file, line: line + 1, reason: describeError(error) });
  }
}

/** The file's bytes (inflated when gzipped), failing with LimitExceeded past `cap`. */
function openStream(file: string, cap: number, gzipped: boolean): Readable {
  const raw = createReadStream(file);
  if (!gzipped && cap === Infinity) return raw;
  let total = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total <= cap) return done(null, chunk);
      const what = gzipped ? 'inflates to' : 'is';
      done(new LimitExceeded(`${what} more than ${sizeText(cap)}; rejected (raise the limit with --max-inflated-bytes)`));
    },
  });
  // pipeline() destroys every stage on an error of any: past the cap the file stops being read and inflated.
  // 1 MiB output chunks: zlib's default 16 KiB makes the per-chunk stream overhead dominate (a 512 MiB bomb took 8 s).
  const stages: (Readable | Transform)[] = gzipped ? [raw, createGunzip({ chunkSize: MiB }), counter] : [raw, counter];
  return pipeline(stages as unknown as [Readable, Transform], () => undefined) as unknown as Readable;
}

async function readDocument(file: string, gzipped: boolean, regular: boolean, limits: InputLimits): Promise<string> {
  const cap = limits.maxDocumentBytes;
  const tooLarge = () => new LimitExceeded(`a document larger than ${sizeText(cap)}; rejected (raise the limit with --max-document-bytes)`);
  if (regular && !gzipped && (await fs.stat(file)).size > cap) throw tooLarge();
  const stream = openStream(file, gzipped || !regular ? limits.maxInflatedBytes : Infinity, gzipped);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      stream.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Splits a byte stream into lines ('\n' or '\r\n'; the last need not end with one), linear in the input:
 * each byte is scanned once, and only the current line's pieces are kept. A line past `maxBytes` is handed
 * on as `undefined` and its remaining bytes are dropped as they come.
 */
async function forEachLine(stream: Readable, maxBytes: number, onLine: (text: string | undefined) => void): Promise<void> {
  let pieces: Buffer[] = [];
  let held = 0;
  let overlong = false;
  const finish = (last: Buffer) => {
    if (overlong) {
      onLine(undefined);
    } else {
      let line = pieces.length === 0 ? last : Buffer.concat([...pieces, last], held + last.length);
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      onLine(line.toString('utf8'));
    }
    pieces = [];
    held = 0;
    overlong = false;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      const length = held + (end - start);
      if (!overlong && length > maxBytes) {
        // One byte over is still within the limit when it is the '\r' of a '\r\n'.
        const last = end > start ? chunk[end - 1] : pieces[pieces.length - 1]?.at(-1);
        overlong = !(length === maxBytes + 1 && last === 13);
      }
      finish(chunk.subarray(start, end));
      start = end + 1;
    }
    if (start < chunk.length && !overlong) {
      held += chunk.length - start;
      if (held > maxBytes + 1) {
        overlong = true;
        pieces = [];
        held = 0;
      } else {
        pieces.push(chunk.subarray(start));
      }
    }
  }
  if (held > 0 || overlong) finish(Buffer.alloc(0));
}

function describeError(error: unknown): string {
  if (error instanceof LimitExceeded) return error.message;
  const err = error as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'Z_BUF_ERROR':
      return 'truncated gzip data';
    case 'Z_DATA_ERROR':
      return `corrupt gzip data (${err.message})`;
    default:
      return err?.message ?? String(error);
  }
}
