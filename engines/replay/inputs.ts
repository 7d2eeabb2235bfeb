/**
 * Reads what `analyze` and `local --events` are given: CloudTrail log files (`.json`, `.json.gz`), JSON Lines
 * files (`.jsonl`, `.ndjson`, gzipped or not) and folders of them, in name order, or S3 objects of the same kinds
 * (engines/replay/s3.ts makes them sources). The input may be hostile, so every read is bounded and linear:
 * - lines are split on bytes as they stream in; a line longer than `maxLineBytes` is rejected with its place
 *   and skipped without ever being held whole;
 * - a gzipped input stops inflating past `maxInflatedBytes` (a gzip bomb is rejected and named; what was read
 *   before the cap stays analysed), as does any stream whose size is not known in advance (a pipe);
 * - a whole document (a log file) is held only up to `maxDocumentBytes`;
 * - symbolic links inside folders are followed, each directory once (a loop is named, not walked forever),
 *   each file once; FIFOs, sockets and devices inside folders are named and not read.
 * Nothing here throws for a bad input: each problem goes to `sink.failure` and reading goes on.
 *
 * Lines travel in pieces: `forEachPiece` cuts a byte stream into buffers of whole, numbered, in-limit lines (what
 * the multi-threaded replay hands to a worker) and `forEachLineOf` splits a piece into lines (in the worker, or
 * right here on one thread), so both paths read exactly the same lines.
 */
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline, Readable, Transform } from 'node:stream';

/** One unit of input: a whole JSON document (a log file) or one line of a JSON Lines file. */
interface InputUnit {
  readonly text: string;
  readonly file: string;
  /** 1-based line number for JSON Lines; absent for whole-file documents. */
  readonly line?: number;
}

/** An input that could not be read at all (missing file, truncated gzip, too long a line...). */
export interface InputFailure {
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
  /** Most bytes one gzipped input (or one stream of unknown size) may inflate to. */
  readonly maxInflatedBytes: number;
  /** Largest whole document (a CloudTrail log file) held in memory. */
  readonly maxDocumentBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_LIMITS: InputLimits = { maxLineBytes: 4 * MiB, maxInflatedBytes: 512 * MiB, maxDocumentBytes: 128 * MiB };

export type Layout = 'document' | 'lines';

/** One input to read: a local file (or pipe) or an S3 object. */
export interface InputSource {
  /** How rejections name it: the path, or `s3://bucket/key`. */
  readonly name: string;
  readonly layout: Layout;
  readonly gzipped: boolean;
  /** Its size in bytes when known in advance (a regular file, an S3 object); a pipe has none. */
  readonly size?: number;
  /** A local regular file's path: a worker thread can read such a document itself. */
  readonly path?: string;
  /** Its raw bytes (still gzipped when `gzipped`). */
  open(): Promise<Readable>;
}

const KNOWN: readonly [suffix: string, layout: Layout, gzipped: boolean][] = [
  ['.json.gz', 'document', true],
  ['.jsonl.gz', 'lines', true],
  ['.ndjson.gz', 'lines', true],
  ['.json', 'document', false],
  ['.jsonl', 'lines', false],
  ['.ndjson', 'lines', false],
];

/** The layout a name's extension gives, or undefined for a name of another kind (not read inside folders). */
export function layoutOf(file: string): { layout: Layout; gzipped: boolean } | undefined {
  const lower = file.toLowerCase();
  const match = KNOWN.find(([suffix]) => lower.endsWith(suffix));
  return match ? { layout: match[1], gzipped: match[2] } : undefined;
}

/** An input stopped on purpose (a limit): named with its reason, like any other unreadable input. */
class LimitExceeded extends Error {}

const sizeText = (bytes: number) => (bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`);

/** A local file as a source; `regular` false for a pipe or device given explicitly (no size known). */
export function fileSource(file: string, layout: { layout: Layout; gzipped: boolean }, stat?: Stats): InputSource {
  const regular = stat?.isFile() ?? true;
  return {
    name: file,
    ...layout,
    size: regular ? stat?.size : undefined,
    path: regular ? file : undefined,
    // 1 MiB reads: fewer, larger chunks cost less per byte, on one thread and when handed to workers.
    open: async () => createReadStream(file, { highWaterMark: MiB }),
  };
}

/** An in-memory document (an S3 object's bytes handed to a worker) as a source. */
export function bufferSource(name: string, gzipped: boolean, bytes: Uint8Array): InputSource {
  return { name, layout: 'document', gzipped, size: bytes.length, open: async () => Readable.from([Buffer.from(bytes)]) };
}

/** An item of the input list, in order: a source to read, or a path that could not be listed. */
export type Listed = { readonly source: InputSource } | { readonly failure: InputFailure };

/**
 * The sources `paths` name, in order: folders recursively (only the known extensions, name order), each file
 * once. A path given explicitly with another extension is read as JSON Lines; one given explicitly may be a pipe
 * (e.g. `<(zcat ...)`), read under `maxInflatedBytes`. `seen` (files already listed) may be shared between calls.
 */
export async function* localSources(paths: readonly string[], seen = new Set<string>()): AsyncGenerator<Listed> {
  for (const given of paths) {
    let stat: Stats;
    try {
      stat = await fs.stat(given);
    } catch (error) {
      yield { failure: { file: given, reason: describeError(error) } };
      continue;
    }
    if (stat.isDirectory()) {
      const found: Listed[] = [];
      await listFiles(given, stat, new Set(), seen, found);
      yield* found;
    } else {
      yield { source: fileSource(given, layoutOf(given) ?? { layout: 'lines', gzipped: false }, stat) };
    }
  }
}

/** Reads `paths` into `sink` on this thread (`local --events`, the benchmarks' bare loop). */
export async function readInputs(paths: readonly string[], sink: InputSink, limits: InputLimits = DEFAULT_LIMITS): Promise<void> {
  for await (const item of localSources(paths)) {
    if ('failure' in item) sink.failure(item.failure);
    else await readSource(item.source, sink, limits);
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
async function listFiles(dir: string, dirStat: Stats, ancestors: Set<string>, seen: Set<string>, found: Listed[]): Promise<void> {
  const id = identity(dirStat);
  ancestors.add(id);
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    found.push({ failure: { file: dir, reason: describeError(error) } });
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
      found.push({ failure: { file: full, reason: `${reason}; not read` } });
      continue;
    }
    if (stat.isDirectory()) {
      if (ancestors.has(identity(stat)))
        found.push({ failure: { file: full, reason: 'symbolic link loop (links to a folder being read); not followed' } });
      else await listFiles(full, stat, ancestors, seen, found);
      continue;
    }
    const special = specialKind(stat);
    if (special) {
      found.push({ failure: { file: full, reason: `${special}, not a file; not read` } });
      continue;
    }
    const layout = layoutOf(entry.name);
    if (!stat.isFile() || !layout) continue;
    const fileId = identity(stat);
    if (seen.has(fileId)) continue; // the same file through another link: read once
    seen.add(fileId);
    found.push({ source: fileSource(full, layout, stat) });
  }
  ancestors.delete(id);
}

/** Reads one source into `sink` on this thread: a document whole, a JSON Lines input line by line. */
async function readSource(source: InputSource, sink: InputSink, limits: InputLimits): Promise<void> {
  const file = source.name;
  if (source.layout === 'document') {
    try {
      sink.unit({ text: await readDocument(source, limits), file });
    } catch (error) {
      sink.failure({ file, reason: describeError(error) });
    }
    return;
  }
  await readPieces(
    source,
    limits,
    (piece, firstLine) => forEachLineOf(piece, firstLine, (text, line) => sink.unit({ text, file, line })),
    (failure) => sink.failure(failure),
  );
}

/**
 * Streams a JSON Lines source as pieces of whole lines (see `forEachPiece`); overlong lines and a stream that
 * fails (truncated gzip, a cap) go to `failure` with their line.
 */
export async function readPieces(
  source: InputSource,
  limits: InputLimits,
  onPiece: (piece: Buffer, firstLine: number, lines: number, owned: boolean) => void | Promise<void>,
  failure: (failure: InputFailure) => void,
): Promise<void> {
  const file = source.name;
  let lines = 0;
  try {
    const stream = await openCapped(source, source.gzipped || source.size === undefined ? limits.maxInflatedBytes : Infinity);
    await forEachPiece(
      stream,
      limits.maxLineBytes,
      async (piece, firstLine, count, owned) => {
        lines = firstLine + count - 1;
        await onPiece(piece, firstLine, count, owned);
      },
      (line) => {
        lines = line;
        failure({ file, line, reason: `line longer than ${sizeText(limits.maxLineBytes)}; skipped` });
      },
    );
  } catch (error) {
    failure({ file, line: lines + 1, reason: describeError(error) });
  }
}

/** The source's bytes (inflated when gzipped), failing with LimitExceeded past `cap`. */
async function openCapped(source: InputSource, cap: number): Promise<Readable> {
  const raw = await source.open();
  const gzipped = source.gzipped;
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
  // pipeline() destroys every stage on an error of any: past the cap the input stops being read and inflated.
  // 1 MiB output chunks: zlib's default 16 KiB makes the per-chunk stream overhead dominate (a 512 MiB bomb took 8 s).
  const stages: (Readable | Transform)[] = gzipped ? [raw, createGunzip({ chunkSize: MiB }), counter] : [raw, counter];
  return pipeline(stages as unknown as [Readable, Transform], () => undefined) as unknown as Readable;
}

/** A document larger than the cap on documents: what each path that holds a document says. */
const documentTooLarge = (limits: InputLimits) =>
  new LimitExceeded(`a document larger than ${sizeText(limits.maxDocumentBytes)}; rejected (raise the limit with --max-document-bytes)`);

/** A whole document's text (inflated when gzipped), held only up to `maxDocumentBytes`. */
export async function readDocument(source: InputSource, limits: InputLimits): Promise<string> {
  const cap = limits.maxDocumentBytes;
  if (!source.gzipped && source.size !== undefined && source.size > cap) throw documentTooLarge(limits);
  const stream = await openCapped(source, source.gzipped || source.size === undefined ? limits.maxInflatedBytes : Infinity);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      stream.destroy();
      throw documentTooLarge(limits);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Cuts a byte stream into pieces of whole lines ('\n' or '\r\n'; the last need not end with one), linear in the
 * input: each byte is scanned once, and only the current line's bytes are kept across chunks. A piece holds the
 * complete lines of one chunk (plus the line that began in the one before), numbered from `firstLine`; a line past
 * `maxBytes` is never held: `onOverlong` gets its number and its bytes are dropped as they come. `owned` says the
 * piece is a buffer of its own, made here and referenced nowhere else (a worker may take it whole); otherwise it is
 * a view of the stream's chunk, valid only until `onPiece` returns. `onPiece` may
 * make the stream wait (a worker pool that is busy).
 */
export async function forEachPiece(
  stream: Readable,
  maxBytes: number,
  onPiece: (piece: Buffer, firstLine: number, lines: number, owned: boolean) => void | Promise<void>,
  onOverlong: (line: number) => void,
): Promise<void> {
  let carry: Buffer[] = []; // the current line's bytes from earlier chunks
  let held = 0;
  let overlong = false;
  let line = 0;
  // The piece being built: `parts` (the carried line, then a run of this chunk) holding `count` lines from `first`.
  let parts: Buffer[] = [];
  let count = 0;
  let first = 1;
  const flush = async () => {
    if (count === 0) return;
    const owned = parts.length > 1;
    const piece = owned ? Buffer.concat(parts) : parts[0];
    const [from, n] = [first, count];
    parts = [];
    count = 0;
    await onPiece(piece, from, n, owned);
  };
  const tooLong = (length: number, last: number | undefined) =>
    // One byte over is still within the limit when it is the '\r' of a '\r\n'.
    length > maxBytes && !(length === maxBytes + 1 && last === 13);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    let runStart = 0; // where the run of this chunk's lines not yet in `parts` begins
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      line++;
      const length = held + (end - start);
      if (overlong || tooLong(length, end > start ? chunk[end - 1] : carry[carry.length - 1]?.at(-1))) {
        if (runStart < start) parts.push(chunk.subarray(runStart, start));
        await flush();
        onOverlong(line);
        runStart = end + 1;
      } else {
        if (count === 0) first = line;
        if (carry.length > 0) {
          // The line began in an earlier chunk (so it is this chunk's first): its bytes join the piece as one buffer.
          parts.push(Buffer.concat([...carry, chunk.subarray(start, end + 1)]));
          runStart = end + 1;
        }
        count++;
      }
      carry = [];
      held = 0;
      overlong = false;
      start = end + 1;
    }
    if (runStart < start) parts.push(chunk.subarray(runStart, start));
    await flush();
    if (start < chunk.length && !overlong) {
      held += chunk.length - start;
      if (held > maxBytes + 1) {
        overlong = true;
        carry = [];
        held = 0;
      } else {
        carry.push(chunk.subarray(start));
      }
    }
  }
  if (held > 0 || overlong) {
    line++;
    const tail = carry.length === 1 ? carry[0] : Buffer.concat(carry);
    if (overlong || tooLong(tail.length, tail.at(-1))) onOverlong(line);
    else await onPiece(tail, line, 1, false);
  }
}

/**
 * The lines of a piece (see `forEachPiece`), numbered from `firstLine`, without their line ends; blank lines are
 * counted but not handed on.
 */
export function forEachLineOf(piece: Uint8Array, firstLine: number, onLine: (text: string, line: number) => void): void {
  forEachLineRangeOf(piece, firstLine, (bytes, start, stop, line) => {
    const text = bytes.toString('utf8', start, stop);
    if (text.trim() !== '') onLine(text, line);
  });
}

/**
 * The lines of a piece as byte ranges (a trailing CR left out), blank ones included: what `forEachLineOf` decodes,
 * for a caller that reads the bytes themselves (the replay's scanner, lambda/core/scan.ts) before decoding.
 */
export function forEachLineRangeOf(
  piece: Uint8Array,
  firstLine: number,
  onLine: (bytes: Buffer, start: number, stop: number, line: number) => void,
): void {
  const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
  let line = firstLine;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
    onLine(bytes, start, stop, line);
    line++;
    start = next;
  }
}

export function describeError(error: unknown): string {
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

/**
 * The raw (still gzipped) bytes of a document that is not a local file (an S3 object, a pipe), to be inflated and
 * parsed by whichever thread takes it. Held up to the lower of the caps that apply to it, and rejected past it as
 * reading it whole would reject it (raw bytes are never more than what they inflate to, but for gzip's few bytes
 * of framing per 64 KiB of incompressible data).
 */
export async function readRawDocument(source: InputSource, limits: InputLimits): Promise<Buffer> {
  const documentCap = limits.maxDocumentBytes;
  if (!source.gzipped && source.size !== undefined && source.size > documentCap) throw documentTooLarge(limits);
  const streamCap = source.gzipped || source.size === undefined ? limits.maxInflatedBytes : Infinity;
  const stream = await source.open();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > streamCap && streamCap <= documentCap) {
      stream.destroy();
      const what = source.gzipped ? 'inflates to' : 'is';
      throw new LimitExceeded(`${what} more than ${sizeText(streamCap)}; rejected (raise the limit with --max-inflated-bytes)`);
    }
    if (size > documentCap) {
      stream.destroy();
      throw documentTooLarge(limits);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
