/**
 * `crr-monitor local` / `npm run demo`: the whole pipeline on local emulators (tools/local-pipeline). Generated
 * workload by default; with `--events PATH...` (or just PATH...) it replays recorded events as `analyze` reads
 * them and prints the same report.
 */
import { formatTable } from '../support/format';
import { placeOf, readInputs } from '../support/inputs';
import { parseArguments, UsageError } from '../support/options';

export const usage = `  crr-monitor local [--objects N] [--fail-rate R] [--delay-rate R] [--seed N] [--workers N] [--quiet] [--events PATH...] [analyze's options]
      Runs the whole pipeline (SNS → SQS → drain → DynamoDB → sweep → metrics) on local emulators.
`;

const OWN = {
  objects: { type: 'string' },
  'fail-rate': { type: 'string' },
  'delay-rate': { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
  events: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const number = (value: string | boolean | undefined, name: string, fallback: number, check: (n: number) => boolean): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${value}: not a valid value`);
  return n;
};

export async function run(argv: string[]): Promise<number> {
  const { report: options, paths, extra, help } = parseArguments(argv, OWN);
  if (help) {
    process.stdout.write(`Usage:\n${usage}`);
    return 0;
  }
  const replay = extra.events === true || paths.length > 0;
  if (extra.events === true && paths.length === 0) throw new UsageError('--events needs at least one PATH');
  const objects = number(extra.objects, 'objects', 2000, (n) => Number.isInteger(n) && n > 0);
  const failRate = number(extra['fail-rate'], 'fail-rate', 0.02, (n) => n >= 0 && n <= 1);
  const delayRate = number(extra['delay-rate'], 'delay-rate', 0.02, (n) => n >= 0 && n <= 1);
  const seed = number(extra.seed, 'seed', 1, Number.isInteger);
  const workers = number(extra.workers, 'workers', 4, (n) => Number.isInteger(n) && n > 0);
  const quiet = extra.quiet === true;
  const say = quiet ? () => undefined : (line: string) => process.stderr.write(line + '\n');
  const started = Date.now();
  let inputsRead = false;

  // Loaded on demand: the emulators and SDK clients are not needed to parse arguments or print help.
  const { runLocal } = await import('../../tools/local-pipeline/run-local');
  const { messagesOf } = await import('../../tools/local-pipeline/publish');
  const { demoWorkload } = await import('../../tools/local-pipeline/workload');
  await runLocal({
    overdueMinutes: options.overdueMinutes,
    at: options.at,
    workers,
    replay,
    say,
    log: say,
    async inputs() {
      if (!replay) {
        const workload = demoWorkload(options.pairs, { objects, failRate, delayRate, seed, now: Date.now() });
        say(
          `workload: ${objects} objects over ${workload.pairs.length} pairs (${workload.rules.length} sources), fail-rate ${failRate}, ` +
            `delay-rate ${delayRate}: ${workload.messages.length} events`,
        );
        return { pairs: workload.pairs, messages: workload.messages, rejected: 0 };
      }
      const messages: string[] = [];
      let rejected = 0;
      await readInputs(paths, {
        unit(unit) {
          inputsRead = true;
          const parts = messagesOf(unit.text);
          if (parts.length === 0) {
            rejected++;
            say(`rejected ${placeOf(unit)}: larger than an SNS message and not a CloudTrail log file`);
          }
          messages.push(...parts);
        },
        failure(failure) {
          rejected++;
          say(`rejected ${placeOf(failure)}: ${failure.reason}`);
        },
      });
      return { pairs: options.pairs, messages, rejected };
    },
    async afterReport({ report, detail }) {
      process.stdout.write(options.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatTable(report, detail));
      say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  });
  if (replay && !inputsRead) {
    process.stderr.write('crr-monitor: no input could be read\n');
    return 2;
  }
  return 0;
}
