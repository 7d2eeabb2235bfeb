import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createGunzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';

const gunzipAsync = promisify(gunzip);

/** One unit of input: a whole JSON document (a log file) or one line of a JSON Lines file. */
export interface InputUnit {
  readonly text: string;
  readonly file: string;
  /** 1-based line number for JSON Lines; absent for whole-file documents. */
  readonly line?: number;
}

/** An input that could not be read at all (missing file, truncated gzip...). */
export interface InputFailure {
  readonly file: string;
  readonly line?: number;
  readonly reason: string;
}

/** Where an input came from, as `file:line` for JSON Lines and `file` for whole documents. */
export const placeOf = (unit: { readonly file: string; readonly line?: number }): string => (unit.line ? `${unit.file}:${unit.line}` : unit.file);

export interface InputSink {
  unit(unit: InputUnit): void;
  failure(failure: InputFailure): void;
}

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

/**
 * Reads CloudTrail log files (`.json`, `.json.gz`), JSON Lines files (`.jsonl`, `.ndjson`, gzipped or
 * not) and folders of them (recursively, in name order), handing each document or line to `sink`.
 * A path given explicitly with another extension is read as JSON Lines. Nothing here throws for a
 * bad input: each problem goes to `sink.failure` and reading goes on.
 */
export async function readInputs(paths: readonly string[], sink: InputSink): Promise<void> {
  for (const given of paths) {
    let stat;
    try {
      stat = await fs.stat(given);
    } catch (error) {
      sink.failure({ file: given, reason: describeError(error) });
      continue;
    }
    if (stat.isDirectory()) {
      for (const file of await listFiles(given, sink)) await readFile(file, layoutOf(file)!, sink);
    } else {
      await readFile(given, layoutOf(given) ?? { layout: 'lines', gzipped: false }, sink);
    }
  }
}

async function listFiles(dir: string, sink: InputSink): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    sink.failure({ file: dir, reason: describeError(error) });
    return found;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFiles(full, sink)));
    else if (entry.isFile() && layoutOf(entry.name)) found.push(full);
  }
  return found;
}

async function readFile(file: string, { layout, gzipped }: { layout: Layout; gzipped: boolean }, sink: InputSink): Promise<void> {
  if (layout === 'document') {
    try {
      const raw = await fs.readFile(file);
      const text = (gzipped ? await gunzipAsync(raw) : raw).toString('utf8');
      sink.unit({ text, file });
    } catch (error) {
      sink.failure({ file, reason: describeError(error) });
    }
    return;
  }
  let stream: Readable = createReadStream(file);
  if (gzipped) stream = stream.pipe(createGunzip());
  let line = 0;
  try {
    await forEachLine(stream, (text) => {
      line++;
      if (text.trim() !== '') sink.unit({ text, file, line });
    });
  } catch (error) {
    sink.failure({ file, line: line + 1, reason: describeError(error) });
  }
}

/** Splits a stream into lines ('\n' or '\r\n'); the last line need not end with a newline. */
async function forEachLine(stream: Readable, onLine: (text: string) => void): Promise<void> {
  stream.setEncoding('utf8');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    const text = rest + chunk;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      onLine(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') onLine(rest);
}

function describeError(error: unknown): string {
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
