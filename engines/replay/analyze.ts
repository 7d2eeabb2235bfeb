/**
 * The offline replay behind `crr-monitor analyze`: recorded events (local files or S3 objects) through the same
 * core the Lambdas use, merged per object version and reported. On one thread the tasks run here against one
 * tracker; with `threads` > 1 they run in worker threads (engines/replay/pool.ts) that split the versions between
 * them, and the report is the same byte for byte. Either way the tasks are read in input order and their
 * rejections reach `reject` in that order, whichever finished first.
 */
import {
  reportOnRecords,
  VersionTracker,
  type EpochMillis,
  type ReplicationPair,
  type ReplicationReport,
  type ReportDetail,
} from '../../lambda/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError, localSources, placeOf, readPieces, readRawDocument, type InputLimits, type Listed } from './inputs';
import { WorkerPool } from './pool';
import type { ProgressSink } from './progress';
import { parseS3Url, s3Sources } from './s3';
import { mergeReports, termsOf } from './shares';
import { TaskRunner, type ReplayTask, type TaskResult } from './tasks';

export interface AnalyzeOptions {
  /** Configured pairs; empty means infer them from the events. */
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMinutes: number;
  /** The recovery point objective of the report's `slo` section. */
  readonly sloMinutes: number;
  /** Evaluation time; undefined means the latest event time seen. */
  readonly at?: EpochMillis;
  readonly limits: InputLimits;
  /** 1: this thread only; more: that many worker threads. */
  readonly threads: number;
}

export interface AnalyzeHooks {
  /** Each rejection, in input order: where (file, file:line, s3://bucket/key) and why. */
  reject(place: string, reason: string): void;
  /** Each replication notice whose s3Operation this version has not seen (not OBJECT_PUT), in input order. */
  unseenOperation?(place: string, operation: string): void;
  /** The progress line's figures (inputs listed and read, events parsed). */
  readonly progress?: ProgressSink;
  /** Called once every input is merged, with the versions tracked (memory probes). */
  onReplayed?(versions: number): void;
}

export interface AnalyzeResult {
  readonly report: ReplicationReport;
  readonly detail: ReportDetail;
  /** Whether any input could be read and parsed at all (exit code 2 when not). */
  readonly analysed: boolean;
  /** Object versions tracked (for memory figures). */
  readonly versions: number;
}

/** S3 objects (or pipes) whose bytes are being fetched at once, ahead of the parsing. */
const PREFETCH = 4;

/** Hands task results on in input order (the seq each task got when it was read). */
class InOrder {
  private readonly held = new Map<number, TaskResult>();
  private next = 0;
  rejected = 0;
  ignored = 0;
  analysed = false;

  constructor(private readonly hooks: AnalyzeHooks) {}

  done(result: TaskResult): void {
    this.held.set(result.seq, result);
    for (let ready = this.held.get(this.next); ready; ready = this.held.get(this.next)) {
      this.held.delete(this.next++);
      for (const [place, reason] of ready.rejections) this.hooks.reject(place, reason);
      for (const [place, operation] of ready.operations) this.hooks.unseenOperation?.(place, operation);
      this.rejected += ready.rejections.length;
      this.ignored += ready.ignored;
      this.analysed ||= ready.analysed;
      this.hooks.progress?.parsed(ready.events);
    }
  }

  failure(seq: number, place: string, reason: string): void {
    this.done({ seq, rejections: [[place, reason]], operations: [], ignored: 0, analysed: false, events: 0 });
  }
}

/** Where tasks run: here, or in the worker pool. */
interface Executor {
  /** `owned`: the task's bytes are its own (made for it, referenced nowhere else), so a worker may take them whole. */
  submit(task: ReplayTask, owned?: boolean): Promise<void>;
  finish(options: AnalyzeOptions, counts: InOrder, onReplayed?: (versions: number) => void): Promise<Omit<AnalyzeResult, 'analysed'>>;
}

class HereExecutor implements Executor {
  private readonly tracker = new VersionTracker();
  private readonly runner: TaskRunner;

  constructor(
    limits: InputLimits,
    private readonly order: InOrder,
  ) {
    this.runner = new TaskRunner((change) => this.tracker.applyChange(change), limits);
  }

  async submit(task: ReplayTask): Promise<void> {
    // A piece of lines is parsed before its buffer is reused (`run` is synchronous for it).
    this.order.done(
      task.kind === 'lines' ? this.runner.lines(task.seq, task.name, task.firstLine, task.bytes) : await this.runner.run(task),
    );
  }

  async finish(options: AnalyzeOptions, counts: InOrder, onReplayed?: (versions: number) => void) {
    onReplayed?.(this.tracker.size);
    const { report, detail } = reportOnRecords(
      () => this.tracker.records(),
      {
        pairs: options.pairs,
        overdueMillis: options.overdueMinutes * 60_000,
        sloMillis: options.sloMinutes * 60_000,
        at: options.at,
        fallbackAt: Date.now(),
      },
      { rejected: counts.rejected, ignored: counts.ignored },
    );
    return { report, detail, versions: this.tracker.size };
  }
}

class PoolExecutor implements Executor {
  constructor(private readonly pool: WorkerPool) {}

  submit(task: ReplayTask, owned?: boolean): Promise<void> {
    return this.pool.submit(task, owned);
  }

  async finish(options: AnalyzeOptions, counts: InOrder, onReplayed?: (versions: number) => void) {
    const summaries = await this.pool.merge(options.pairs.length === 0);
    const versions = summaries.reduce((n, s) => n + s.versions, 0);
    onReplayed?.(versions);
    const terms = termsOf(summaries, { pairs: options.pairs, at: options.at, fallbackAt: Date.now() });
    const objectiveSeconds = options.sloMinutes * 60;
    const parts = await this.pool.parts(terms, options.overdueMinutes * 60_000, objectiveSeconds);
    const { report, detail } = mergeReports(
      parts,
      { at: terms.at, objectiveSeconds },
      { rejected: counts.rejected, ignored: counts.ignored },
    );
    return { report, detail, versions };
  }
}

/** Replays the listed inputs (in order) and reports. */
export async function analyze(listed: AsyncIterable<Listed>, options: AnalyzeOptions, hooks: AnalyzeHooks): Promise<AnalyzeResult> {
  const order = new InOrder(hooks);
  const pool = options.threads > 1 ? new WorkerPool(options.threads, options.limits, (result) => order.done(result)) : undefined;
  const executor: Executor = pool ? new PoolExecutor(pool) : new HereExecutor(options.limits, order);
  try {
    await readAll(hooks.progress ? listAhead(listed, hooks.progress) : listed, executor, order, options.limits, hooks.progress);
    const result = await executor.finish(options, order, hooks.onReplayed);
    return { ...result, analysed: order.analysed };
  } finally {
    await pool?.close();
  }
}

async function readAll(
  listed: AsyncIterable<Listed>,
  executor: Executor,
  order: InOrder,
  limits: InputLimits,
  progress: ProgressSink | undefined,
): Promise<void> {
  let seq = 0;
  const fetching = new Set<Promise<void>>();
  for await (const item of listed) {
    if ('failure' in item) {
      order.failure(seq++, placeOf(item.failure), item.failure.reason);
      continue;
    }
    const { source } = item;
    if (source.layout === 'lines') {
      let read = 0;
      await readPieces(
        source,
        limits,
        (bytes, firstLine, _count, owned) => {
          // Bytes as they are read, for the progress line (of a gzipped input only its size, once read: its pieces are inflated).
          if (!source.gzipped) {
            read += bytes.length;
            progress?.advance(bytes.length);
          }
          return executor.submit({ kind: 'lines', seq: seq++, name: source.name, firstLine, bytes }, owned);
        },
        (failure) => order.failure(seq++, placeOf(failure), failure.reason),
      );
      progress?.inputRead(source.size === undefined ? undefined : Math.max(0, source.size - read));
      continue;
    }
    const mine = seq++;
    if (source.path !== undefined) {
      // A local file: read (and inflated) by whichever thread parses it.
      await executor.submit({ kind: 'file', seq: mine, name: source.name, gzipped: source.gzipped, size: source.size });
      progress?.inputRead(source.size);
      continue;
    }
    // An S3 object or a pipe: fetched here, a few at once, then parsed like a file.
    while (fetching.size >= PREFETCH) await Promise.race(fetching);
    const fetch = (async () => {
      let bytes: Buffer;
      try {
        bytes = await readRawDocument(source, limits);
      } catch (error) {
        order.failure(mine, source.name, describeError(error));
        return;
      }
      await executor.submit(
        { kind: 'bytes', seq: mine, name: source.name, gzipped: source.gzipped, bytes },
        bytes.length > Buffer.poolSize,
      );
      progress?.inputRead(source.size);
    })().finally(() => fetching.delete(fetch));
    fetching.add(fetch);
  }
  await Promise.all(fetching);
}

/**
 * The listing pulled ahead of the reading (names and sizes only: memory linear in the number of inputs), so that the
 * progress line knows the totals, and an ETA, while the first inputs are read.
 */
async function* listAhead(listed: AsyncIterable<Listed>, progress: ProgressSink): AsyncGenerator<Listed> {
  const queue: Listed[] = [];
  let done = false;
  let failed: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    try {
      for await (const item of listed) {
        if ('source' in item) progress.list(item.source.size);
        queue.push(item);
        wake?.();
      }
      progress.listingComplete();
    } catch (error) {
      failed = { error };
    } finally {
      done = true;
      wake?.();
    }
  })();
  for (let next = 0; ;) {
    if (next < queue.length) {
      const item = queue[next];
      queue[next++] = undefined as unknown as Listed; // let it go once read
      yield item;
      continue;
    }
    if (failed) throw failed.error;
    if (done) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  await pump;
}

/** Where S3 inputs come from, and which of their date folders to read. */
export interface S3Inputs {
  readonly client: () => S3Client;
  /** Days (epoch ms at 00:00 UTC), inclusive. */
  readonly since?: number;
  readonly until?: number;
  /** Ends a range that has no end (epoch ms). */
  readonly today: number;
}

/** The inputs `args` name, in order: local paths (files, folders, pipes) and `s3://BUCKET/PREFIX` URLs. */
export async function* listInputs(args: readonly string[], s3: S3Inputs): AsyncGenerator<Listed> {
  const seen = new Set<string>();
  let client: S3Client | undefined;
  for (const arg of args) {
    const location = parseS3Url(arg);
    if (location) yield* s3Sources((client ??= s3.client()), location, s3, s3.today);
    else yield* localSources([arg], seen);
  }
}
