import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { reportOnRecords, type ReplicationPair, type VersionRecord } from '../../lambda/core';
import { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import { RecordingMetricsSink } from '../../lambda/adapters/metrics';
import { RecordingOutcomeSink } from '../../tools/recording-outcomes';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { createDrainHandler } from '../../lambda/drain/drain';
import { createLogger } from '../../lambda/shared/log';
import { createSweepHandler } from '../../lambda/sweep/sweep';
import { formatTable } from './format';
import { placeOf, readInputs } from './inputs';
import { CallCounter, localClients } from './local/clients';
import { startEmulators, type Emulators } from './local/emulators';
import { LocalEventSource } from './local/event-source';
import { provision } from './local/provision';
import { parseArguments, UsageError } from './options';
import { generateWorkload, type WorkloadRule } from './workload';

export interface LocalIo {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: LocalIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** The demo's replication configuration: several pairs, one of them multi-destination. */
export const DEMO_RULES: WorkloadRule[] = [
  { source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] },
  { source: 'logs-use1', destinations: ['logs-usw2'] },
  { source: 'backups-euw2', destinations: ['backups-use1'] },
];
const MONITORED_REGIONS = ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'us-west-2'];
/** SNS takes at most 256 KiB per message; leave room for the envelope. */
const MAX_MESSAGE_BYTES = 240 * 1024;

/** No S3 on the emulators: HeadObject is simulated, and says what S3 says of a version still on its way. */
class SimulatedS3 implements Pick<ObjectInspector, 'head'> {
  async head(): Promise<HeadResult> {
    return { outcome: 'found', status: 'PENDING' };
  }
}

const number = (value: string | true | undefined, name: string, fallback: number, check: (n: number) => boolean): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value === true || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${value === true ? '' : value}: not a valid value`);
  return n;
};

/** The message(s) to publish for one input unit: whole, or a CloudTrail log file split into smaller `Records` files. */
function messagesOf(text: string): string[] {
  if (Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return [text];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const records = (doc as { Records?: unknown[] })?.Records;
  if (!Array.isArray(records)) return [];
  const out: string[] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const record of records) {
    const part = JSON.stringify(record);
    if (chunk.length && size + part.length > MAX_MESSAGE_BYTES - 100) {
      out.push(`{"Records":[${chunk.join(',')}]}`);
      chunk = [];
      size = 0;
    }
    chunk.push(part);
    size += part.length + 1;
  }
  if (chunk.length) out.push(`{"Records":[${chunk.join(',')}]}`);
  return out;
}

/** The region whose forwarder topic would carry an event (EventBridge region, or the record's awsRegion). */
function regionOf(text: string): string {
  const match = /"(?:region|awsRegion)"\s*:\s*"([a-z0-9-]+)"/.exec(text);
  return match && MONITORED_REGIONS.includes(match[1]) ? match[1] : 'us-east-1';
}

/**
 * `crr-monitor local` / `npm run demo`: the whole pipeline on local emulators. Generated workload by default;
 * with `--events PATH...` (or just PATH...) it replays recorded events as `analyze` reads them and prints
 * the same report. Returns the exit code.
 */
export async function runLocal(argv: string[], io: LocalIo = STDIO): Promise<number> {
  const { report: options, paths, extra } = parseArguments(argv, { valued: ['objects', 'fail-rate', 'delay-rate', 'seed', 'workers'], flags: ['events', 'quiet'] });
  const replay = extra.events === true || paths.length > 0;
  if (extra.events === true && paths.length === 0) throw new UsageError('--events needs at least one PATH');
  const objects = number(extra.objects, 'objects', 2000, (n) => Number.isInteger(n) && n > 0);
  const failRate = number(extra['fail-rate'], 'fail-rate', 0.02, (n) => n >= 0 && n <= 1);
  const delayRate = number(extra['delay-rate'], 'delay-rate', 0.02, (n) => n >= 0 && n <= 1);
  const seed = number(extra.seed, 'seed', 1, Number.isInteger);
  const workers = number(extra.workers, 'workers', 4, (n) => Number.isInteger(n) && n > 0);
  const say = extra.quiet === true ? () => undefined : (line: string) => io.err(line + '\n');
  const started = Date.now();

  const emulators: Emulators = await startEmulators();
  try {
    say(`emulators: dynalite ${emulators.endpoints.dynamodb}, fauxqs (SNS+SQS) ${emulators.endpoints.sqs}`);
    const clients = localClients(emulators.endpoints);
    const calls = new CallCounter();
    calls.watch(clients.dynamodb, 'dynamodb');
    calls.watch(clients.sqs, 'sqs');
    const resources = await provision(clients, { regions: MONITORED_REGIONS, visibilityTimeoutSeconds: 5 });

    // What to send.
    let pairs: ReplicationPair[] = options.pairs;
    const messages: string[] = [];
    let rejected = 0;
    let inputsRead = false;
    if (replay) {
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
    } else {
      if (pairs.length === 0) pairs = DEMO_RULES.flatMap((r) => r.destinations.map((destination) => ({ source: r.source, destination })));
      const rules = pairs.reduce<WorkloadRule[]>((acc, p) => {
        const rule = acc.find((r) => r.source === p.source);
        if (rule) (rule.destinations as string[]).push(p.destination);
        else acc.push({ source: p.source, destinations: [p.destination] });
        return acc;
      }, []);
      // Spread the writes over 30 minutes ending now, so that delayed ones are overdue at the end.
      const span = 30 * 60_000;
      generateWorkload(
        { objects, rules, failRate, delayRate, seed, start: Date.now() - span - 5 * 60_000, spacingMillis: span / objects },
        (event) => messages.push(JSON.stringify(event)),
      );
      say(`workload: ${objects} objects over ${pairs.length} pairs (${rules.length} sources), fail-rate ${failRate}, delay-rate ${delayRate}: ${messages.length} events`);
    }

    // Drive it: publish through the forwarder topics while the drain workers consume the queue.
    const store = new DynamoRecordStore({ client: clients.dynamodb, tableName: resources.tableName, retentionHours: 24 });
    const outcomes = new RecordingOutcomeSink();
    const drain = createDrainHandler({
      store,
      deadLetters: new SqsDeadLetters(clients.sqs, resources.dlqUrl),
      // Without configured pairs (replay, inferred) the drain decides no outcome; the report is computed afterwards.
      pairs,
      overdueMillis: options.overdueMinutes * 60_000,
      outcomes,
      logger: createLogger('drain', 'warn', extra.quiet === true ? () => undefined : (line) => io.err(line + '\n')),
    });
    const eventSource = new LocalEventSource(clients.sqs, drain, { queueUrl: resources.queueUrl, queueArn: resources.queueArn, waitSeconds: 1 });
    let publishing = true;
    const consumed = eventSource.run({ workers, idleRounds: 2, until: () => !publishing && drain.counters.messages >= messages.length });
    const publishStart = Date.now();
    const byRegion = new Map<string, string[]>();
    for (const m of messages) {
      const region = regionOf(m);
      const list = byRegion.get(region);
      if (list) list.push(m);
      else byRegion.set(region, [m]);
    }
    const batches: { region: string; entries: string[] }[] = [];
    for (const [region, list] of byRegion) for (let i = 0; i < list.length; i += 10) batches.push({ region, entries: list.slice(i, i + 10) });
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches.length) {
          const { region, entries } = batches[next++];
          const out = await clients.sns.send(
            new PublishBatchCommand({ TopicArn: resources.topicArns[region], PublishBatchRequestEntries: entries.map((Message, i) => ({ Id: String(i), Message })) }),
          );
          if (out.Failed?.length) throw new Error(`PublishBatch failed: ${out.Failed[0].Message}`);
        }
      }),
    );
    publishing = false;
    await consumed;
    const drainMillis = Date.now() - publishStart;
    const c = drain.counters;
    say(
      `drain: ${c.messages} messages, ${c.events} events → ${c.applied} applied, ${c.unchanged} duplicates/superseded, ${c.ignored} ignored, ` +
        `${c.deadLettered} to the DLQ, ${c.failed} retried; ${(c.messages / (drainMillis / 1000)).toFixed(0)} msg/s with ${workers} workers`,
    );

    // Read back, sweep, report.
    const records: VersionRecord[] = [];
    for await (const stored of store.scan()) records.push(stored.record);
    const reportPairs = pairs.length ? pairs : undefined;
    const { report, detail } = reportOnRecords(
      () => records,
      { pairs: reportPairs ?? [], overdueMillis: options.overdueMinutes * 60_000, at: options.at, fallbackAt: Date.now() },
      { rejected: rejected + c.rejected + c.unresolved, ignored: c.ignored },
    );
    const asOf = Date.parse(report.asOf);
    const metrics = new RecordingMetricsSink();
    const sweepPairs = reportPairs ?? report.pairs.map(({ source, destination }) => ({ source, destination }));
    const sweep = createSweepHandler({
      store,
      ...(replay ? {} : { inspector: new SimulatedS3() }),
      metrics,
      pairs: sweepPairs,
      overdueMillis: options.overdueMinutes * 60_000,
      logger: createLogger('sweep', 'warn', () => undefined),
      now: () => asOf,
    });
    const swept = await sweep();
    say(
      `sweep at ${swept.asOf}: ${swept.scanned} pending versions read from the index, ${swept.settled} settled, ${swept.overdue} overdue, ` +
        `${swept.checked} HeadObject re-checks${replay ? ' (none in replay: no S3)' : ' (simulated S3)'}; ` +
        `${swept.metricData} metric data in ${metrics.requests.length} PutMetricData request(s) for ${swept.minute}`,
    );
    const monitorCalls = calls.total();
    say(`AWS calls by the monitor side: ${monitorCalls} (${[...calls.calls].map(([n, k]) => `${n} ${k}`).join(', ')}); ${(monitorCalls / Math.max(1, c.events)).toFixed(2)} per event`);
    io.out(options.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatTable(report, detail));
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (replay && !inputsRead) {
      io.err('crr-monitor: no input could be read\n');
      return 2;
    }
    return 0;
  } finally {
    await emulators.stop();
  }
}
