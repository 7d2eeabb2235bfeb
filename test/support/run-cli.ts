/**
 * Runs the real `bin/crr-monitor` as a child process, as a user runs it: the way every CLI test exercises a
 * command. `input` is written to its stdin (closed either way); `env` is added to the test's environment
 * (the SDK's Node-version warning is turned off, so stderr holds only what the CLI says).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'bin/crr-monitor');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly cwd?: string;
}

/** Starts the CLI and hands back the child, for tests that talk to it while it runs (e.g. `local --serve`). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const child = spawn(CLI, [...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(options.input ?? '');
  return child;
}

/** Runs the CLI to its end and collects what it printed. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
