/**
 * The whole pipeline on local emulators, in named steps: start emulators → provision → publish → drain →
 * sweep → report. `crr-monitor local` (and `npm run demo`) drives it; what to publish comes from the caller
 * (a generated workload, or recorded events read as `analyze` reads them). The emulators are stopped on the
 * way out, also on errors.
 */
import type { ReplicationPair, ReplicationReport, ReportDetail } from '../../lambda/core';
import type { Outcome } from '../../lambda/core/outcomes';
import { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { RecordingOutcomeSink, type MetricLine } from '../recording-outcomes';
import { returnItemOnConditionFailure } from '../dynalite-fidelity';
import { chaosDynamo, noChaos } from './chaos';
import { CallCounter, localClients, LOCAL_REGION } from './clients';
import { startDrain } from './drain';
import { startEmulators, type Emulators } from './emulators';
import { provision } from './provision';
import { MONITORED_REGIONS, publish } from './publish';
import { reportFromTable, untrackedBySource, type UntrackedCount } from './report';
import { sweep } from './sweep';
import { seededRandom, type WorkloadObject } from './workload';

/**
 * The harness clock, for a generated workload: the drain's clock is the workload's (`LocalInputs.clock`, when its
 * events are delivered), so due times are max(source + overdue, clock + 60 s); the sweep runs at clock + overdue +
 * this margin, so every due entry has crossed and each overdue version is really re-checked (HeadObject, simulated).
 * The report is made at that same time, after the sweep. Nothing depends on how long the run took.
 */
const SWEEP_MARGIN_MILLIS = 2 * 60_000;

/** What to publish, produced once the emulators are up. */
interface LocalInputs {
  /** The pairs to report on; empty means infer them from the records. */
  readonly pairs: readonly ReplicationPair[];
  readonly messages: readonly string[];
  /** Inputs rejected before publishing (counted in the report). */
  readonly rejected: number;
  /** A generated workload's clock (epoch ms): the drain's time, from which the sweep's follows (SWEEP_MARGIN_MILLIS). */
  readonly clock?: number;
  /** A generated workload's versions: the simulated S3 the sweep's HeadObject asks. */
  readonly objects?: readonly WorkloadObject[];
}

/** What the run leaves up for `afterReport` (e.g. `--serve`). */
interface LocalRun {
  readonly emulators: Emulators;
  readonly tableName: string;
  readonly region: string;
  readonly report: ReplicationReport;
  readonly detail: ReportDetail;
  /** What the sweep published as UntrackedWrites in this run, per source bucket. */
  readonly untracked: readonly UntrackedCount[];
}

export interface LocalRunOptions {
  readonly overdueMinutes: number;
  /** The recovery point objective of the report's `slo` section; default: `overdueMinutes`. */
  readonly sloMinutes?: number;
  readonly at?: number;
  readonly workers: number;
  /** Replaying recorded events (no simulated S3 for the sweep). */
  readonly replay: boolean;
  readonly inputs: () => Promise<LocalInputs>;
  /** Progress lines (stderr). */
  readonly say: (line: string) => void;
  /** The drain handler's log lines. */
  readonly log: (line: string) => void;
  /** Runs after the report, while the emulators are still up. */
  readonly afterReport: (run: LocalRun) => Promise<void>;
  /** `--chaos RATE`: faults injected at that rate (tools/local-pipeline/chaos.ts); 0 or absent: none. */
  readonly chaos?: number;
  readonly seed?: number;
  /** `--metrics-out FILE`: every metric datum published, one JSON object per line. */
  readonly metricsOut?: (lines: readonly MetricLine[]) => Promise<void>;
  /** `--outcomes-out FILE`: every outcome published (drain and sweep), one per line, sorted: exactly-once made visible. */
  readonly outcomesOut?: (outcomes: readonly Outcome[]) => Promise<void>;
}

export async function runLocal(options: LocalRunOptions): Promise<void> {
  const { say } = options;
  // Step: start emulators.
  const emulators = await startEmulators();
  try {
    say(`emulators: dynalite ${emulators.endpoints.dynamodb}, fauxqs (SNS+SQS) ${emulators.endpoints.sqs}`);
    const clients = localClients(emulators.endpoints);
    const calls = new CallCounter();
    calls.watch(clients.dynamodb, 'dynamodb');
    calls.watch(clients.sqs, 'sqs');
    // Step: provision.
    const resources = await provision(clients, { regions: MONITORED_REGIONS, visibilityTimeoutSeconds: 5 });
    const { pairs, messages, rejected, clock, objects } = await options.inputs();

    // Steps: publish through the forwarder topics while the drain consumes the queue.
    const store = new DynamoRecordStore({ client: clients.dynamodb, tableName: resources.tableName, retentionHours: 24 });
    const outcomes = new RecordingOutcomeSink();
    const rate = options.chaos ?? 0;
    const chaos = rate > 0 ? { rate, random: seededRandom((options.seed ?? 1) * 7919 + 1), counts: noChaos() } : undefined;
    // The drain writes through its own client so that chaos reaches its writes and nothing else (setup, reads).
    const drainDynamo = chaos
      ? chaosDynamo(localClients(emulators.endpoints).dynamodb, rate, chaos.random, chaos.counts)
      : clients.dynamodb;
    if (chaos) calls.watch(drainDynamo, 'dynamodb');
    const drainStore = chaos
      ? new DynamoRecordStore({
          client: returnItemOnConditionFailure(drainDynamo, clients.dynamodb),
          tableName: resources.tableName,
          retentionHours: 24,
        })
      : store;
    const drain = startDrain(clients, resources, {
      store: drainStore,
      ...(chaos ? { chaos } : {}),
      pairs,
      overdueMillis: options.overdueMinutes * 60_000,
      outcomes,
      workers: options.workers,
      log: options.log,
      ...(clock !== undefined ? { now: () => clock } : {}),
    });
    const publishStart = Date.now();
    await publish(clients.sns, resources.topicArns, messages);
    await drain.finish(messages.length);
    const drainMillis = Date.now() - publishStart;
    const c = drain.handler.counters;
    say(
      `drain: ${c.messages} messages, ${c.events} events → ${c.applied} applied, ${c.unchanged} duplicates/superseded, ${c.ignored} ignored, ` +
        `${c.deadLettered} to the DLQ, ${c.failed} retried; ${(c.messages / (drainMillis / 1000)).toFixed(0)} msg/s with ${options.workers} workers`,
    );

    // Steps: sweep and report, at one time. With the harness clock: the sweep at clock + overdue + margin, then the
    // report at that time (it shows what the sweep's checks found). Otherwise (a replay) the report's time, the
    // latest event's or --at, is the sweep's, and the report (needed for inferred pairs) comes first.
    const reportAt = async (at: number | undefined) =>
      reportFromTable(
        { client: clients.dynamodb, tableName: resources.tableName },
        {
          pairs,
          overdueMinutes: options.overdueMinutes,
          ...(options.sloMinutes !== undefined ? { sloMinutes: options.sloMinutes } : {}),
          at,
          rejected: rejected + c.rejected + c.unresolved,
          ignored: c.ignored,
        },
      );
    const harnessAt =
      clock !== undefined && pairs.length ? (options.at ?? clock + options.overdueMinutes * 60_000 + SWEEP_MARGIN_MILLIS) : undefined;
    let reported = harnessAt === undefined ? await reportAt(options.at) : undefined;
    const sweepPairs = pairs.length ? pairs : reported!.report.pairs.map(({ source, destination }) => ({ source, destination }));
    // The sweep writes through its own client so that chaos reaches its writes and not the report's reads.
    const sweepDynamo = chaos
      ? chaosDynamo(localClients(emulators.endpoints).dynamodb, rate, seededRandom((options.seed ?? 1) * 7919 + 2), chaos.counts)
      : undefined;
    if (sweepDynamo) calls.watch(sweepDynamo, 'dynamodb');
    const { swept, metrics, runs } = await sweep(
      { client: clients.dynamodb, tableName: resources.tableName },
      {
        pairs: sweepPairs,
        overdueMinutes: options.overdueMinutes,
        at: harnessAt ?? Date.parse(reported!.report.asOf),
        ...(options.replay ? {} : { objects: objects ?? [] }),
        recorder: outcomes,
        ...(chaos && sweepDynamo
          ? {
              chaos: {
                client: returnItemOnConditionFailure(sweepDynamo, clients.dynamodb),
                rate,
                random: seededRandom((options.seed ?? 1) * 7919 + 3),
                counts: chaos.counts,
              },
            }
          : {}),
      },
    );
    reported ??= await reportAt(harnessAt);
    const { report, detail } = reported;
    say(
      `sweep at ${swept.asOf} (run ${runs}): ${swept.dueRead} versions read from the due window, ${swept.attentionRead} from ` +
        `the attention set, ${swept.overdue} overdue, ${swept.untracked} untracked, ` +
        `${swept.checked} HeadObject re-checks${options.replay ? ' (none in replay: no S3)' : ' (simulated S3)'}; ` +
        `${metrics.published.length} outcomes published by its check writes (all runs)`,
    );
    if (chaos) {
      const k = chaos.counts;
      say(
        `chaos ${rate}: ${k.throttled} throttled, ${k.serverErrors} server errors, ${k.lostResponses} lost responses, ` +
          `${k.workersDied} workers died before acknowledging, ${k.sweepsDied} sweep runs died half-way`,
      );
    }
    const monitorCalls = calls.total();
    say(
      `AWS calls by the monitor side: ${monitorCalls} (${[...calls.calls].map(([n, k]) => `${n} ${k}`).join(', ')}); ` +
        `${(monitorCalls / Math.max(1, c.events)).toFixed(2)} per event`,
    );
    say(
      `outcomes published: ${outcomes.published.length - metrics.published.length} by the drain ` +
        `(${c.recovered} after a lost response, ${c.recoveredUnderLaterWrites} of them found under later writes), ` +
        `${metrics.published.length} by the sweep`,
    );
    if (options.metricsOut) await options.metricsOut(outcomes.data());
    if (options.outcomesOut) await options.outcomesOut(outcomes.outcomes);
    const untracked = untrackedBySource(metrics.published);
    await options.afterReport({ emulators, tableName: resources.tableName, region: LOCAL_REGION, report, detail, untracked });
  } finally {
    await emulators.stop();
  }
}
