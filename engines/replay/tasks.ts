/**
 * One unit of replay work and what it yields, the same on one thread and in a worker: a piece of JSON Lines
 * (whole lines, numbered), a local log file to read, or an S3 object's bytes. Its events become slot changes handed
 * to `place` (the local tracker, or the router to the worker that owns the version); its rejections come back with
 * the result, so that the coordinator prints them in input order whichever thread finished first.
 */
import {
  changeFor,
  emptyParseResult,
  formatRejection,
  parseTextInto,
  scanInto,
  type ParseResult,
  type SlotChange,
} from '../../lambda/core';
import { bufferSource, describeError, fileSource, forEachLineRangeOf, readDocument, type InputLimits } from './inputs';

export type ReplayTask =
  | { readonly kind: 'lines'; readonly seq: number; readonly name: string; readonly firstLine: number; readonly bytes: Uint8Array }
  | { readonly kind: 'file'; readonly seq: number; readonly name: string; readonly gzipped: boolean; readonly size?: number }
  | { readonly kind: 'bytes'; readonly seq: number; readonly name: string; readonly gzipped: boolean; readonly bytes: Uint8Array };

export interface TaskResult {
  readonly seq: number;
  /** `[place, reason]`, in input order. */
  readonly rejections: [string, string][];
  /** `[place, s3Operation]` of replication notices with an operation this version has not seen, in input order. */
  readonly operations: [string, string][];
  readonly ignored: number;
  /** Whether anything in it could be read and parsed at all. */
  readonly analysed: boolean;
  /** Events parsed (for the progress line). */
  readonly events: number;
}

/** Where a unit came from (built only for a rejection: most units have none). */
const placeOf = (file: string, line: number | undefined) => (line ? `${file}:${line}` : file);

/** Parses units of text into slot changes, counting what it ignores and collecting what it rejects. */
class Replayer {
  private readonly parsed = emptyParseResult();
  rejections: [string, string][] = [];
  operations: [string, string][] = [];
  ignored = 0;
  analysed = false;
  events = 0;

  constructor(private readonly place: (change: SlotChange) => void) {}

  unit(text: string, file: string, line?: number): void {
    this.absorb(parseTextInto(text, this.parsed), file, line);
  }

  /**
   * One line of a piece: scanned from its bytes when lambda/core/scan.ts knows its shape (the same result as parsing
   * its text, by construction), else decoded and parsed as `unit` (a blank line is no unit at all).
   */
  line(bytes: Buffer, start: number, stop: number, file: string, line: number): void {
    if (scanInto(bytes, start, stop, this.parsed)) {
      this.absorb(this.parsed, file, line);
      return;
    }
    const text = bytes.toString('utf8', start, stop);
    if (text.trim() !== '') this.unit(text, file, line);
  }

  private absorb(parsed: ParseResult, file: string, line: number | undefined): void {
    this.ignored += parsed.ignored;
    for (const rejection of parsed.rejected) this.rejections.push([placeOf(file, line), formatRejection(rejection)]);
    for (const operation of parsed.unseenOperations ?? []) this.operations.push([placeOf(file, line), operation]);
    // A document rejected whole (bad JSON, unknown shape) has not been analysed.
    if (parsed.events.length > 0 || parsed.ignored > 0 || parsed.rejected.length === 0) this.analysed = true;
    for (const event of parsed.events) {
      this.events++;
      const change = changeFor(event);
      if (change) this.place(change);
      else if (event.type === 'write')
        this.rejections.push([
          placeOf(file, line),
          `${event.operation} s3://${event.bucket}/${event.key} has no x-amz-version-id; only the monitor (HeadObject) can resolve it`,
        ]);
      else this.ignored++; // a notice that carries no replication state
    }
  }

  take(seq: number): TaskResult {
    const result = {
      seq,
      rejections: this.rejections,
      operations: this.operations,
      ignored: this.ignored,
      analysed: this.analysed,
      events: this.events,
    };
    this.rejections = [];
    this.operations = [];
    this.ignored = 0;
    this.analysed = false;
    this.events = 0;
    return result;
  }
}

/** Runs tasks against one `place`; a document task reads (and inflates) its bytes here, under the limits. */
export class TaskRunner {
  private readonly replayer: Replayer;

  constructor(
    place: (change: SlotChange) => void,
    private readonly limits: InputLimits,
  ) {
    this.replayer = new Replayer(place);
  }

  /** Synchronous for a piece of lines (the one-thread path hands it a view of a buffer about to be reused). */
  lines(seq: number, name: string, firstLine: number, bytes: Uint8Array): TaskResult {
    forEachLineRangeOf(bytes, firstLine, (buffer, start, stop, line) => this.replayer.line(buffer, start, stop, name, line));
    return this.replayer.take(seq);
  }

  async run(task: ReplayTask): Promise<TaskResult> {
    if (task.kind === 'lines') return this.lines(task.seq, task.name, task.firstLine, task.bytes);
    const source =
      task.kind === 'file'
        ? fileSource(task.name, { layout: 'document', gzipped: task.gzipped })
        : bufferSource(task.name, task.gzipped, task.bytes);
    let text: string;
    try {
      text = await readDocument(task.kind === 'file' ? { ...source, size: task.size } : source, this.limits);
    } catch (error) {
      return { seq: task.seq, rejections: [[task.name, describeError(error)]], operations: [], ignored: 0, analysed: false, events: 0 };
    }
    this.replayer.unit(text, task.name);
    return this.replayer.take(task.seq);
  }
}
