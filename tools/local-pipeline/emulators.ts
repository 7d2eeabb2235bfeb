import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/**
 * The local emulators, each in its own child process on a loopback port the OS picks: dynalite (DynamoDB)
 * and fauxqs (SNS + SQS; ESM-only, so it cannot be required from CommonJS/jest anyway). A child process
 * also keeps their work off the pipeline's event loop. Each prints `{"port": N}` when it listens.
 */
interface Emulator {
  readonly name: string;
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface Emulators {
  readonly dynamodb: Emulator;
  readonly sqs: Emulator;
  /** Endpoints per service, for SDK clients. */
  readonly endpoints: { dynamodb: string; sqs: string; sns: string };
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

const DYNALITE = `
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

const FAUXQS = `
const { startFauxqs } = await import('fauxqs');
const server = await startFauxqs({ port: 0, host: 'localhost', logger: false });
console.log(JSON.stringify({ port: server.port }));
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave an emulator behind, whatever way the parent ends.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function startChild(name: string, args: string[], timeoutMillis = 15_000): Promise<Emulator> {
  installExitHook();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    live.add(child);
    let output = '';
    let errors = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMillis} ms: ${errors.trim()}`));
    }, timeoutMillis);
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('exit', (code) => {
      live.delete(child);
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening: ${errors.trim()}`));
    });
    child.stderr!.on('data', (chunk) => (errors += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.startsWith('{"port"'));
      if (!line) return;
      clearTimeout(timer);
      const port = JSON.parse(line).port as number;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        name,
        port,
        endpoint: `http://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** fauxqs alone, for its basic S3 (no versioning): what `analyze s3://…` is tested against. */
export function startS3Emulator(): Promise<Emulator> {
  return startChild('fauxqs', ['--input-type=module', '-e', FAUXQS]);
}

export async function startEmulators(): Promise<Emulators> {
  const [dynamodb, sqs] = await Promise.allSettled([
    startChild('dynalite', ['-e', DYNALITE]),
    startChild('fauxqs', ['--input-type=module', '-e', FAUXQS]),
  ]);
  if (dynamodb.status === 'rejected' || sqs.status === 'rejected') {
    if (dynamodb.status === 'fulfilled') await dynamodb.value.stop();
    if (sqs.status === 'fulfilled') await sqs.value.stop();
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (sqs as PromiseRejectedResult).reason;
  }
  return {
    dynamodb: dynamodb.value,
    sqs: sqs.value,
    endpoints: { dynamodb: dynamodb.value.endpoint, sqs: sqs.value.endpoint, sns: sqs.value.endpoint },
    stop: async () => {
      await Promise.all([dynamodb.value.stop(), sqs.value.stop()]);
    },
  };
}
