/**
 * The worker threads of a multi-threaded replay. Tasks go to the least busy worker (at most `MAX_IN_FLIGHT` each,
 * so reading waits for parsing and memory stays bounded); each worker parses, and sends every slot change to the
 * worker that owns its version (a hash of key and version ID), over a channel between each two workers. At the end
 * the workers merge, report their versions' latest time (and pairs), evaluate their versions into report parts, and
 * those parts are merged here: the report is the one a single thread builds over the same versions.
 *
 * Workers are TypeScript: worker.ts is bundled by esbuild (a dependency already) into one CommonJS script when the
 * first pool starts, and each worker evaluates that script. The same works whether the CLI runs through
 * bin/crr-monitor (tsx) or a test through jest (ts-jest), where tsx's `require('tsx/cjs')` hook, registering
 * CommonJS only, would leave a worker's own imports to resolve; a bundle also starts in a third of the time
 * (no transpiling hook in each worker) and runs without tsx's `__name` wrappers around every closure.
 */
import { buildSync } from 'esbuild';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ReportPart } from '../../lambda/core';
import type { InputLimits } from './inputs';
import type { ShareTerms, ShareSummary } from './shares';
import type { ReplayTask, TaskResult } from './tasks';

export interface WorkerSetup {
  readonly index: number;
  readonly workers: number;
  readonly limits: InputLimits;
  /** The channel to each other worker; null at the worker's own index. */
  readonly peers: (MessagePort | null)[];
}

export type ToWorker =
  | { readonly kind: 'task'; readonly task: ReplayTask }
  | { readonly kind: 'end'; readonly inferPairs: boolean }
  | { readonly kind: 'report'; readonly terms: ShareTerms; readonly overdueMillis: number; readonly objectiveSeconds: number };

export type FromWorker =
  | { readonly kind: 'result'; readonly result: TaskResult }
  | { readonly kind: 'merged'; readonly summary: ShareSummary }
  | { readonly kind: 'part'; readonly part: ReportPart }
  | { readonly kind: 'failed'; readonly message: string };

/** Between workers: changes for the receiver's versions, as one JSON text of engines/replay/compact.ts's flat form
 * (a string crosses cheaply), and the end of a worker's changes. */
export type PeerMessage = { readonly kind: 'changes'; readonly changes: string } | { readonly kind: 'eos' };

/** Tasks queued per worker: enough to keep it busy while the next piece is read, few enough to bound memory. */
const MAX_IN_FLIGHT = 3;

const WORKER_FILE = path.join(__dirname, 'worker.ts');
let bundle: string | undefined;

/** worker.ts and what it imports as one script (built once per process: ~20 ms). */
function workerScript(): string {
  bundle ??= buildSync({
    entryPoints: [WORKER_FILE],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text;
  return bundle;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[];
  private waiting: (() => void)[] = [];
  private failure: Error | undefined;
  private readonly listeners = new Set<(index: number, message: FromWorker) => void>();

  constructor(
    count: number,
    limits: InputLimits,
    private readonly onResult: (result: TaskResult) => void,
  ) {
    this.inFlight = new Array<number>(count).fill(0);
    const ports: (MessagePort | null)[][] = Array.from({ length: count }, () => new Array<MessagePort | null>(count).fill(null));
    for (let a = 0; a < count; a++)
      for (let b = a + 1; b < count; b++) {
        const { port1, port2 } = new MessageChannel();
        ports[a][b] = port1;
        ports[b][a] = port2;
      }
    for (let index = 0; index < count; index++) {
      const peers = ports[index];
      const worker = new Worker(workerScript(), {
        eval: true,
        // Not the parent's flags (`--import tsx` under a benchmark would load tsx's hooks into each worker again).
        execArgv: [],
        workerData: { index, workers: count, limits, peers } satisfies WorkerSetup,
        transferList: peers.filter((port): port is MessagePort => port !== null),
      });
      worker.on('message', (message: FromWorker) => this.received(index, message));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`replay worker ${index} exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  private received(index: number, message: FromWorker): void {
    if (message.kind === 'result') {
      this.inFlight[index]--;
      this.onResult(message.result);
      this.wake();
    } else if (message.kind === 'failed') {
      this.fail(new Error(`replay worker ${index} failed: ${message.message}`));
    }
    for (const listener of this.listeners) listener(index, message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!this.failure && !ready()) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
  }

  /**
   * Sends a task to the least busy worker, once one has room. Its bytes move to the worker when `owned` (a buffer
   * made for this task alone, not from Node's shared pool) and are copied otherwise (the caller may reuse them).
   */
  async submit(task: ReplayTask, owned = false): Promise<void> {
    await this.until(() => this.inFlight.some((n) => n < MAX_IN_FLIGHT));
    let best = 0;
    for (let i = 1; i < this.inFlight.length; i++) if (this.inFlight[i] < this.inFlight[best]) best = i;
    this.inFlight[best]++;
    if (task.kind === 'file') {
      this.workers[best].postMessage({ kind: 'task', task } satisfies ToWorker);
      return;
    }
    const whole = owned && task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength;
    // Otherwise a copy of its own: the caller's buffer may be a view of a larger (pooled or reused) one.
    const bytes = whole ? task.bytes : new Uint8Array(task.bytes);
    this.workers[best].postMessage({ kind: 'task', task: { ...task, bytes } } satisfies ToWorker, [bytes.buffer as ArrayBuffer]);
  }

  /** Waits for every worker's answer of `kind` to a message sent to all. */
  private async all<K extends FromWorker['kind']>(message: ToWorker, kind: K): Promise<Extract<FromWorker, { kind: K }>[]> {
    const answers = new Array<Extract<FromWorker, { kind: K }> | undefined>(this.workers.length);
    let count = 0;
    const listener = (index: number, answer: FromWorker) => {
      if (answer.kind !== kind) return;
      answers[index] = answer as Extract<FromWorker, { kind: K }>;
      count++;
      this.wake();
    };
    this.listeners.add(listener);
    try {
      for (const worker of this.workers) worker.postMessage(message);
      await this.until(() => count === this.workers.length);
    } finally {
      this.listeners.delete(listener);
    }
    return answers as Extract<FromWorker, { kind: K }>[];
  }

  /** Once every task is done: each worker's share of the versions, merged, summed up. */
  async merge(inferPairs: boolean): Promise<ShareSummary[]> {
    await this.until(() => this.inFlight.every((n) => n === 0));
    return (await this.all({ kind: 'end', inferPairs }, 'merged')).map((answer) => answer.summary);
  }

  /** Each worker's versions evaluated on the agreed terms. */
  async parts(terms: ShareTerms, overdueMillis: number, objectiveSeconds: number): Promise<ReportPart[]> {
    return (await this.all({ kind: 'report', terms, overdueMillis, objectiveSeconds }, 'part')).map((answer) => answer.part);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
