/**
 * `npm run bench`: analyze's throughput on one thread and on worker threads (one per core) against a bare
 * single-thread JSON.parse loop over the same file, measured in the same run, and the memory analyze holds per
 * tracked object version. The multi-threaded figure includes starting the workers. Prints figures; asserts nothing.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { analyze as replay, listInputs, type AnalyzeResult } from '../../engines/replay/analyze';
import { DEFAULT_LIMITS, readInputs } from '../../engines/replay/inputs';
import { generateWorkload } from '../../tools/local-pipeline/workload';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const gc = (globalThis as { gc?: () => void }).gc;

/** The engine as `crr-monitor analyze FILE` runs it (no S3 input here). */
function analyze(
  file: string,
  threads: number,
  reject: (line: string) => void,
  onReplayed?: (versions: number) => void,
): Promise<AnalyzeResult> {
  return replay(
    listInputs([file], {
      client: () => {
        throw new Error('no S3 input here');
      },
      today: Date.now(),
    }),
    { pairs: [], overdueMinutes: 15, sloMinutes: 15, limits: DEFAULT_LIMITS, threads },
    { reject: (place, reason) => reject(`${place}: ${reason}`), onReplayed },
  );
}

function writeWorkload(file: string): number {
  const rules = [
    { source: 'photos-use1', destinations: ['photos-euw2'] },
    { source: 'logs-use1', destinations: ['logs-usw2', 'logs-apse2'] },
    { source: 'backup-euw1', destinations: ['backup-use2'] },
  ];
  // ~2.4 events per object (replicas, 2 % failures, 5 % duplicates), so this reaches the target.
  // Written in small synchronous chunks so that the generator's output never sits in memory whole.
  const fd = openSync(file, 'w');
  let events = 0;
  let chunk: string[] = [];
  generateWorkload(
    { objects: Math.ceil(TARGET_EVENTS / 2.3), rules, failRate: 0.02, delayRate: 0.02, multipartRate: 0.1, duplicateRate: 0.05, seed: 42 },
    (event) => {
      chunk.push(JSON.stringify(event) + '\n');
      events++;
      if (chunk.length === 1000) {
        writeSync(fd, chunk.join(''));
        chunk = [];
      }
    },
  );
  writeSync(fd, chunk.join(''));
  closeSync(fd);
  return events;
}

async function parseOnly(file: string): Promise<number> {
  let parsed = 0;
  await readInputs([file], {
    unit(unit) {
      JSON.parse(unit.text);
      parsed++;
    },
    failure(failure) {
      throw new Error(failure.reason);
    },
  });
  return parsed;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
/** CPU seconds of the whole process (every thread: workers and the collector's helpers included). */
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-bench-'));
  const file = path.join(dir, 'events.jsonl');
  try {
    const events = writeWorkload(file);
    const bytes = statSync(file).size;
    console.log(`workload: ${events} events, ${(bytes / 1e6).toFixed(1)} MB, ${Math.round(bytes / events)} bytes/event (${file})`);
    const failOnRejection = (line: string) => {
      throw new Error(`unexpected rejection: ${line}`);
    };
    let bestParse = Infinity;
    let bestAnalyze = Infinity;
    let bestThreads = Infinity;
    let bestReport = Infinity;
    let reference = '';
    // CPU time is what the machine's other load does not change: the least of the rounds, per run.
    const cpu = { parse: Infinity, analyze: Infinity, threads: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      gc?.();
      let start = process.hrtime.bigint();
      let cpuStart = process.cpuUsage();
      await parseOnly(file);
      bestParse = Math.min(bestParse, seconds(start));
      cpu.parse = Math.min(cpu.parse, cpuSeconds(cpuStart));
      gc?.();
      start = process.hrtime.bigint();
      cpuStart = process.cpuUsage();
      let replayed = start;
      const result = await analyze(file, 1, failOnRejection, () => {
        replayed = process.hrtime.bigint();
      });
      bestAnalyze = Math.min(bestAnalyze, seconds(start));
      cpu.analyze = Math.min(cpu.analyze, cpuSeconds(cpuStart));
      bestReport = Math.min(bestReport, seconds(replayed));
      gc?.();
      start = process.hrtime.bigint();
      cpuStart = process.cpuUsage();
      const threaded = await analyze(file, THREADS, failOnRejection);
      bestThreads = Math.min(bestThreads, seconds(start));
      cpu.threads = Math.min(cpu.threads, cpuSeconds(cpuStart));
      if (round === 0) {
        reference = JSON.stringify(result.report);
        console.log(`report: ${result.report.pairs.map((p) => `${p.source}→${p.destination} ${p.completed} completed`).join(', ')}`);
      }
      if (JSON.stringify(threaded.report) !== reference || JSON.stringify(result.report) !== reference)
        throw new Error('the reports of one thread and of worker threads differ');
    }
    // Memory in a round of its own: the forced collections would otherwise count in analyze's time.
    let heapPerVersion = NaN;
    let versions = 0;
    gc?.();
    const baseline = process.memoryUsage().heapUsed;
    await analyze(file, 1, failOnRejection, (tracked) => {
      gc?.();
      versions = tracked;
      heapPerVersion = (process.memoryUsage().heapUsed - baseline) / tracked;
    });
    const parseRate = events / bestParse;
    const analyzeRate = events / bestAnalyze;
    const threadsRate = events / bestThreads;
    console.log(
      `load average at the end: ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores (other processes take their share of the wall time)`,
    );
    console.log(
      `CPU seconds per run (all threads): bare loop ${cpu.parse.toFixed(2)}, --threads 1 ${cpu.analyze.toFixed(2)}, --threads ${THREADS} ${cpu.threads.toFixed(2)}; ` +
        `on ${THREADS} otherwise idle cores --threads ${THREADS} could reach at most ${((cpu.parse * THREADS) / cpu.threads).toFixed(2)} × the bare loop`,
    );
    const rate = (r: number, t: number) =>
      `${Math.round(r).toLocaleString('en-US')} events/s (${(bytes / t / 1e6).toFixed(0)} MB/s), best of ${ROUNDS}`;
    console.log(`bare JSON.parse loop, 1 thread: ${rate(parseRate, bestParse)}`);
    console.log(`analyze --threads 1:            ${rate(analyzeRate, bestAnalyze)}`);
    console.log(`analyze --threads ${THREADS}:            ${rate(threadsRate, bestThreads)} (workers' start included)`);
    console.log(
      `analyze / bare loop: --threads 1 ${(analyzeRate / parseRate).toFixed(2)} ×, --threads ${THREADS} ${(threadsRate / parseRate).toFixed(2)} × (target ≥ 1.5 ×); ` +
        `same report both ways; of --threads 1's time, the final report over all versions: ${bestReport.toFixed(2)} s`,
    );
    console.log(
      gc
        ? `memory: ${versions.toLocaleString('en-US')} object versions tracked, ${Math.round(heapPerVersion)} bytes of heap per version (no event is kept)`
        : 'memory: run with node --expose-gc for the per-version figure',
    );
    // maxRSS is in KiB and covers the whole process: generation, the parse-only rounds and analyze.
    console.log(`peak resident set of the whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
