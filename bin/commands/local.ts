/**
 * `crr-monitor local` / `npm run demo`: the whole pipeline on local emulators (tools/local-pipeline). Generated
 * workload by default; with `--events PATH...` (or just PATH...) it replays recorded events as `analyze` reads
 * them and prints the same report.
 *
 * Untracked writes (source versions HeadObject shows no rule covers, published by the sweep as UntrackedWrites) are
 * shown after the table, and on stderr as one `untracked writes: ...` line (not with --quiet), but are not a field
 * of the JSON report:
 * `local --events` and `analyze` print the same JSON for the same input, and `analyze` has no HeadObject, so it cannot
 * know them; an `untracked` always empty in `analyze` would read as "none" where the truth is "unknown".
 */
import { INTAKE_MODES } from '../../lambda/shared/config';
import { formatTable, table } from '../support/format';
import { placeOf, readInputs } from '../../engines/replay/inputs';
import { parseArguments, UsageError } from '../support/options';
import { RejectionLog } from '../support/rejections';

export const usage = `  crr-monitor local [--objects N] [--fail-rate R] [--delay-rate R] [--untracked-rate R] [--seed N] [--workers N]
                    [--intake cloudtrail|notifications|eventbridge] [--quiet] [--serve]
                    [--events PATH...] [analyze's options]
      Runs the whole pipeline (SNS → SQS → drain → DynamoDB → sweep → metrics) on local emulators.
      --serve keeps the emulators and the table up afterwards and prints, on stderr,
      'serving endpoint=URL table=NAME region=REGION sqs=URL sns=URL' until SIGINT or SIGTERM.
      --untracked-rate R: share of source writes no replication rule covers (the sweep finds them untracked).
      --intake MODE: the shape the workload's object writes are published in, as config 'intake' deploys it:
      cloudtrail (CloudTrail events via EventBridge, the default), notifications (S3 event notifications) or
      eventbridge (S3's own EventBridge 'Object Created' events). Not with --events (recorded events keep their shape).
      The drain's clock is the workload's; the sweep (and the report) run at that clock + overdue + 2 minutes.
      --chaos RATE injects faults at that rate (DynamoDB throttling and errors, lost write responses, drain workers
      that die before acknowledging, sweep runs that die half-way and run again); --metrics-out FILE writes every
      metric datum the monitor published (drain and sweep), one JSON object per line:
      {"metric","source","destination","unit","values","counts"}. --outcomes-out FILE writes every outcome published
      (a completion, failure, late latency or untracked write of one version), one JSON object per line, sorted.
      The untracked writes the sweep published (UntrackedWrites, per source bucket) follow the table, and are printed on stderr as
      'untracked writes: SOURCE N, ...' (or 'none'); they are not in the JSON report, which analyze also prints.
`;

const OWN = {
  objects: { type: 'string' },
  'fail-rate': { type: 'string' },
  'delay-rate': { type: 'string' },
  'untracked-rate': { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
  events: { type: 'boolean' },
  quiet: { type: 'boolean' },
  serve: { type: 'boolean' },
  chaos: { type: 'string' },
  'metrics-out': { type: 'string' },
  intake: { type: 'string' },
  'outcomes-out': { type: 'string' },
} as const;

/** The table output's section on untracked writes (what the sweep published as UntrackedWrites in this run). */
function untrackedSection(untracked: readonly { source: string; count: number }[]): string {
  if (!untracked.length) return '\nUntracked writes (no replication rule covers them, per HeadObject): none\n';
  const rows = untracked.map((u) => [u.source, String(u.count)]);
  const title = 'Untracked writes (no replication rule covers them, per HeadObject):';
  return ['', title, ...table(['SOURCE', 'UNTRACKED'], rows, new Set([1])), ''].join('\n');
}

/** Until SIGINT or SIGTERM: what `--serve` waits for before the emulators are stopped. */
const stopSignal = () =>
  new Promise<NodeJS.Signals>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

const number = (value: string | boolean | undefined, name: string, fallback: number, check: (n: number) => boolean): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${value}: not a valid value`);
  return n;
};

export async function run(argv: string[]): Promise<number> {
  const { report: options, paths, extra, help, limits } = parseArguments(argv, OWN);
  if (help) {
    process.stdout.write(`Usage:\n${usage}`);
    return 0;
  }
  if (options.format === 'html') throw new UsageError('local prints table or json (analyze --format html renders the same report)');
  const replay = extra.events === true || paths.length > 0;
  if (extra.events === true && paths.length === 0) throw new UsageError('--events needs at least one PATH');
  const objects = number(extra.objects, 'objects', 2000, (n) => Number.isInteger(n) && n > 0);
  const failRate = number(extra['fail-rate'], 'fail-rate', 0.02, (n) => n >= 0 && n <= 1);
  const delayRate = number(extra['delay-rate'], 'delay-rate', 0.02, (n) => n >= 0 && n <= 1);
  const untrackedRate = number(extra['untracked-rate'], 'untracked-rate', 0, (n) => n >= 0 && n <= 1);
  const seed = number(extra.seed, 'seed', 1, Number.isInteger);
  const workers = number(extra.workers, 'workers', 4, (n) => Number.isInteger(n) && n > 0);
  const quiet = extra.quiet === true;
  const chaos = number(extra.chaos, 'chaos', 0, (n) => n >= 0 && n <= 0.5);
  const metricsOut = typeof extra['metrics-out'] === 'string' ? extra['metrics-out'] : undefined;
  const intake = extra.intake ?? 'cloudtrail';
  if (typeof intake !== 'string' || !(INTAKE_MODES as readonly string[]).includes(intake))
    throw new UsageError(`--intake ${String(intake)}: expected ${INTAKE_MODES.join(', ')}`);
  if (replay && extra.intake !== undefined)
    throw new UsageError('--intake shapes the generated workload; recorded events (--events) are published as they are');
  const shape = intake as (typeof INTAKE_MODES)[number];
  const outcomesOut = typeof extra['outcomes-out'] === 'string' ? extra['outcomes-out'] : undefined;
  const say = quiet ? () => undefined : (line: string) => process.stderr.write(line + '\n');
  const started = Date.now();
  let inputsRead = false;

  // Loaded on demand: the emulators and SDK clients are not needed to parse arguments or print help.
  const { runLocal } = await import('../../tools/local-pipeline/run-local');
  const { messagesOf } = await import('../../tools/local-pipeline/publish');
  const { demoWorkload } = await import('../../tools/local-pipeline/workload');
  await runLocal({
    overdueMinutes: options.overdueMinutes,
    sloMinutes: options.sloMinutes,
    at: options.at,
    workers,
    replay,
    say,
    log: say,
    chaos,
    seed,
    ...(metricsOut
      ? {
          async metricsOut(lines: readonly object[]) {
            const { writeFile } = await import('node:fs/promises');
            await writeFile(metricsOut, lines.map((l) => JSON.stringify(l) + '\n').join(''));
          },
        }
      : {}),
    ...(outcomesOut
      ? {
          async outcomesOut(outcomes: readonly object[]) {
            const { writeFile } = await import('node:fs/promises');
            await writeFile(
              outcomesOut,
              outcomes
                .map((o) => JSON.stringify(o) + '\n')
                .sort()
                .join(''),
            );
          },
        }
      : {}),
    async inputs() {
      if (!replay) {
        // Whole minutes: the same --seed then gives the same events up to a shift, so the same report (but asOf).
        const now = Math.floor(Date.now() / 60_000) * 60_000;
        const workload = demoWorkload(options.pairs, { objects, failRate, delayRate, untrackedRate, seed, now, shape });
        say(
          `workload: ${objects} objects over ${workload.pairs.length} pairs (${workload.rules.length} sources), fail-rate ${failRate}, ` +
            `delay-rate ${delayRate}, untracked-rate ${untrackedRate}, intake ${shape}: ${workload.messages.length} events`,
        );
        return { pairs: workload.pairs, messages: workload.messages, rejected: 0, clock: now, objects: workload.objects };
      }
      const messages: string[] = [];
      const rejections = new RejectionLog(say);
      await readInputs(
        paths,
        {
          unit(unit) {
            inputsRead = true;
            const parts = messagesOf(unit.text);
            if (parts.length === 0) rejections.reject(placeOf(unit), 'larger than an SNS message and not a CloudTrail log file');
            messages.push(...parts);
          },
          failure(failure) {
            rejections.reject(placeOf(failure), failure.reason);
          },
        },
        limits,
      );
      rejections.finish();
      return { pairs: options.pairs, messages, rejected: rejections.count };
    },
    async afterReport({ report, detail, emulators, tableName, region, untracked }) {
      process.stdout.write(
        options.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatTable(report, detail) + untrackedSection(untracked),
      );
      say(`untracked writes: ${untracked.length ? untracked.map((u) => `${u.source} ${u.count}`).join(', ') : 'none'}`);
      say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (extra.serve !== true) return;
      // Listening before the line is printed: whoever reads it may stop us at once.
      const stopped = stopSignal();
      const { dynamodb, sqs, sns } = emulators.endpoints;
      process.stderr.write(`serving endpoint=${dynamodb} table=${tableName} region=${region} sqs=${sqs} sns=${sns}\n`);
      const signal = await stopped;
      say(`${signal}: stopping the emulators`);
    },
  });
  if (replay && !inputsRead) {
    process.stderr.write('crr-monitor: no input could be read\n');
    return 2;
  }
  return 0;
}
