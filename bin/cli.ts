import { analyze } from './cli/analyze';
import { formatTable } from './cli/format';
import { parseArguments, UsageError } from './cli/options';

const USAGE = `Usage:
  crr-monitor analyze [--pair SRC=DST]... [--config FILE] [--overdue-minutes 15] [--at ISO-TIME] [--format table|json] PATH...
      Replays recorded S3 write events (CloudTrail log files .json/.json.gz, folders of them, or
      JSON Lines files of EventBridge/CloudTrail/S3-notification/SNS/SQS events) and reports
      replication per bucket pair. Without --pair/--config, pairs are inferred from matching versions.
  crr-monitor local [--objects N] [--fail-rate R] [--delay-rate R] [--events PATH...] [analyze's options]
      Runs the whole pipeline (SNS → SQS → drain → DynamoDB → sweep → metrics) on local emulators.
  crr-monitor status|redrive|doctor ...   (crr-monitor <command> --help for each)
  crr-monitor help
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async analyze(argv) {
    const { report: options, paths } = parseArguments(argv);
    if (paths.length === 0) throw new UsageError('analyze needs at least one PATH');
    const result = await analyze(paths, options, (line) => process.stderr.write(line + '\n'));
    process.stdout.write(options.format === 'json' ? JSON.stringify(result.report, null, 2) + '\n' : formatTable(result.report, result.detail));
    if (!result.analysed) {
      process.stderr.write('crr-monitor: no input could be read\n');
      return 2;
    }
    return 0;
  },
  async local(argv) {
    // Loaded on demand: the emulators and SDK clients are not needed by analyze.
    const { runLocal } = await import('./cli/local');
    return runLocal(argv);
  },
  // The operator commands, one module each (bin/commands/<name>.ts), loaded on demand.
  // require, not import(): under bin/crr-monitor (tsx/cjs) a dynamic import() goes to Node's ESM resolver, which
  // finds no extensionless .ts module.
  status: (argv) => operatorCommand(require('./commands/status'), argv),
  redrive: (argv) => operatorCommand(require('./commands/redrive'), argv),
  doctor: (argv) => operatorCommand(require('./commands/doctor'), argv),
  async help() {
    process.stdout.write(USAGE);
    return 0;
  },
};

type OperatorCommand = { run(argv: string[], io: { out(t: string): void; err(t: string): void }): Promise<number>; USAGE: string };

async function operatorCommand(command: OperatorCommand, argv: string[]): Promise<number> {
  try {
    return await command.run(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`crr-monitor: ${error.message}\n\nUsage:\n  ${command.USAGE}\n`);
    return 2;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === '--help' || name === '-h' ? commands.help : commands[name ?? ''];
  try {
    if (!command) throw new UsageError(name ? `unknown command '${name}'` : 'missing command');
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`crr-monitor: ${error.message}\n\n${USAGE}`);
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
