/**
 * `npm run bench:hostile`: `bin/crr-monitor analyze` on hostile input, run as a user runs it (a child process),
 * with its wall time and peak resident set. Prints figures; asserts nothing.
 * - a 64 MB single line (rejected past 4 MiB without being held) against 64 MB of ordinary events;
 * - a ~1 MB gzip bomb that inflates to 1 GiB, as `.jsonl.gz` and as `.json.gz` (rejected at the caps).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateWorkload } from '../../tools/local-pipeline/workload';

const CLI = path.join(__dirname, '../../bin/crr-monitor');
const MB = 1e6;

/** Runs the real binary in a node that reports its own resource usage on fd 3 at exit. */
function measure(args: string[]): Promise<{ seconds: number; peakMiB: number; code: number | null; stderr: string }> {
  const script = `process.on('exit', () => require('fs').writeSync(3, JSON.stringify(process.resourceUsage())));
process.argv.splice(1, 0, ${JSON.stringify(CLI)}); require(${JSON.stringify(CLI)});`;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', script, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let usage = '';
  let stderr = '';
  child.stdio[3]!.on('data', (chunk) => (usage += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.once('close', (code) =>
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMiB: JSON.parse(usage).maxRSS / 1024, code, stderr }),
    ),
  );
}

function writeEvents(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  let written = 0;
  let chunk: string[] = [];
  generateWorkload(
    { objects: Math.ceil(bytes / 1500 / 2.3), rules: [{ source: 'photos-use1', destinations: ['photos-euw2'] }], seed: 3 },
    (event) => {
      const line = JSON.stringify(event) + '\n';
      if (written >= bytes) return;
      written += line.length;
      chunk.push(line);
      if (chunk.length === 1000) {
        writeSync(fd, chunk.join(''));
        chunk = [];
      }
    },
  );
  writeSync(fd, chunk.join(''));
  closeSync(fd);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-hostile-'));
  try {
    const line = path.join(dir, 'one-line.jsonl');
    const fd = openSync(line, 'w');
    const block = Buffer.alloc(MB, 'x');
    for (let i = 0; i < 64; i++) writeSync(fd, block);
    closeSync(fd);
    const events = path.join(dir, 'events.jsonl');
    writeEvents(events, 64 * MB);
    // 16 gzip members of 64 MiB of zeros: 1 GiB inflated.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    const bombLines = path.join(dir, 'bomb.jsonl.gz');
    const bombDocument = path.join(dir, 'bomb.json.gz');
    writeFileSync(bombLines, bomb);
    writeFileSync(bombDocument, bomb);
    const baseline = await measure(['help']);
    console.log(`startup (crr-monitor help): ${baseline.seconds.toFixed(2)} s, peak RSS ${baseline.peakMiB.toFixed(0)} MiB`);
    for (const [label, file] of [
      [`64 MB single line (${(statSync(line).size / MB).toFixed(0)} MB)`, line],
      [`64 MB of ordinary events (${(statSync(events).size / MB).toFixed(0)} MB)`, events],
      [`gzip bomb .jsonl.gz (${(bomb.length / MB).toFixed(2)} MB → 1 GiB)`, bombLines],
      [`gzip bomb .json.gz (${(bomb.length / MB).toFixed(2)} MB → 1 GiB)`, bombDocument],
    ] as const) {
      const r = await measure(['analyze', '--format', 'json', file]);
      const said = r.stderr.split('\n').find((l) => l.startsWith('rejected')) ?? '(no rejection)';
      console.log(
        `${label}: ${r.seconds.toFixed(2)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB, exit ${r.code}; ${said.replace(dir + '/', '')}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
