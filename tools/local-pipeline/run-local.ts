/**
 * The whole pipeline on local emulators, in named steps: start emulators → provision → publish → drain →
 * sweep → report. `crr-monitor local` (and `npm run demo`) drives it; what to publish comes from the caller
 * (a generated workload, or recorded events read as `analyze` reads them). The emulators are stopped on the
 * way out, also on errors.
 */
import type { ReplicationPair, ReplicationReport, ReportDetail } from '../../lambda/core';
import { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { RecordingOutcomeSink, type MetricLine } from '../recording-outcomes';
import { returnItemOnConditionFailure } from '../dynalite-fidelity';
import { chaosDynamo, noChaos, seededRandom } from './chaos';
import { CallCounter, localClients, LOCAL_REGION } from './clients';
import { startDrain } from './drain';
import { startEmulators, type Emulators } from './emulators';
import { provision } from './provision';
import { MONITORED_REGIONS, publish } from './publish';
import { reportFromTable } from './report';
import { sweep } from './sweep';

/** What to publish, produced once the emulators are up. */
export interface LocalInputs {
  /** The pairs to report on; empty means infer them from the records. */
  readonly pairs: readonly ReplicationPair[];
  readonly messages: readonly string[];
  /** Inputs rejected before publishing (counted in the report). */
  readonly rejected: number;
}

/** What the run leaves up for `afterReport` (e.g. `--serve`). */
export interface LocalRun {
  readonly emulators: Emulators;
  readonly tableName: string;
  readonly region: string;
  readonly report: ReplicationReport;
  readonly detail: ReportDetail;
}

export interface LocalRunOptions {
  readonly overdueMinutes: number;
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
    const { pairs, messages, rejected } = await options.inputs();

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
    });
    const publishStart = Date.now();
    await publish(clients.sns, resources.topicArns, messages);
    await drain.finish(messages.length);
    const drainMillis = Date.now() - publishStart;
    if (chaos) {
      const k = chaos.counts;
      say(
        `chaos ${rate}: ${k.throttled} throttled, ${k.serverErrors} server errors, ${k.lostResponses} lost responses, ` +
          `${k.workersDied} workers died before acknowledging`,
      );
    }
    const c = drain.handler.counters;
    say(
      `drain: ${c.messages} messages, ${c.events} events → ${c.applied} applied, ${c.unchanged} duplicates/superseded, ${c.ignored} ignored, ` +
        `${c.deadLettered} to the DLQ, ${c.failed} retried; ${(c.messages / (drainMillis / 1000)).toFixed(0)} msg/s with ${options.workers} workers`,
    );

    // Step: report (its time is the sweep's time), then sweep.
    const { report, detail } = await reportFromTable({ client: clients.dynamodb, tableName: resources.tableName }, {
      pairs,
      overdueMinutes: options.overdueMinutes,
      at: options.at,
      rejected: rejected + c.rejected + c.unresolved,
      ignored: c.ignored,
    });
    const sweepPairs = pairs.length ? pairs : report.pairs.map(({ source, destination }) => ({ source, destination }));
    const { swept, metrics } = await sweep({ client: clients.dynamodb, tableName: resources.tableName }, {
      pairs: sweepPairs,
      overdueMinutes: options.overdueMinutes,
      at: Date.parse(report.asOf),
      simulateS3: !options.replay,
    });
    say(
      `sweep at ${swept.asOf}: ${swept.dueRead} versions read from the due window, ${swept.attentionRead} from the attention set, ` +
        `${swept.overdue} overdue, ${swept.untracked} untracked, ` +
        `${swept.checked} HeadObject re-checks${options.replay ? ' (none in replay: no S3)' : ' (simulated S3)'}; ` +
        `${metrics.published.length} outcomes published by its check writes`,
    );
    const monitorCalls = calls.total();
    say(
      `AWS calls by the monitor side: ${monitorCalls} (${[...calls.calls].map(([n, k]) => `${n} ${k}`).join(', ')}); ` +
        `${(monitorCalls / Math.max(1, c.events)).toFixed(2)} per event`,
    );
    say(`outcomes published by the drain: ${outcomes.published.length} (${drain.handler.counters.recovered} after a lost response)`);
    if (options.metricsOut) await options.metricsOut(outcomes.data());
    await options.afterReport({ emulators, tableName: resources.tableName, region: LOCAL_REGION, report, detail });
  } finally {
    await emulators.stop();
  }
}
