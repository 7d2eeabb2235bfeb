/**
 * The `crr-monitor` entry: dispatches to one module per command (bin/commands/<name>.ts, each exporting
 * `usage` and `run(argv)`), loaded only when called. A new command is one line in COMMANDS.
 */
import { UsageError } from './support/options';

export interface CommandModule {
  /** The command's lines of the usage text. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for a mistake in the command line. */
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  analyze: () => import('./commands/analyze'),
  local: () => import('./commands/local'),
  status: () => import('./commands/status'),
  redrive: () => import('./commands/redrive'),
  doctor: () => import('./commands/doctor'),
  report: () => import('./commands/report'),
  reconcile: () => import('./commands/reconcile'),
};

const HELP = '  crr-monitor help | --help | COMMAND --help\n';

async function usage(): Promise<string> {
  const parts = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).usage));
  return `Usage:\n${parts.join('')}${HELP}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(await usage());
      return 0;
    }
    const load = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(name ? `unknown command '${name}'` : 'missing command');
    return await (await load()).run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`crr-monitor: ${error.message}\n\n${await usage()}`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`crr-monitor: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
