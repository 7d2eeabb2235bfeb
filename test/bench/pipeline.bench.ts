/**
 * npm run bench:pipeline [-- --objects N --workers W --chaos RATE --json]
 *
 * Drives ≥ 20,000 events through the emulated SNS → SQS → drain → DynamoDB path and prints events/s, AWS API
 * calls per event made by the monitor's side (SQS receive + delete, DynamoDB, S3, CloudWatch; not the
 * generator's publishes), counted with SDK middleware, and DynamoDB writes per event. Then one sweep.
 * With `--json` the last line is one JSON object: callsPerEvent, writesPerEvent, outcomeLagSeconds (p99 of publish
 * time − the time the drain received the deciding event's message), writeUnitsPerEvent (table write capacity units of
 * the drain's and sweep's writes per event, as dynalite computes them from the item sizes — condition failures, which
 * DynamoDB also bills, at their 1-unit minimum), itemBytes (mean size of a version item at the end, DynamoDB's rule),
 * drainEventsPerSecond (per worker), and sweepItemsRead (the sweep's figure, computed by its own function).
 * `--chaos RATE` injects the local harness's DynamoDB faults into the drain's writes (tools/local-pipeline/chaos.ts:
 * throttling, server errors, lost responses after a committed write; seeded), so that the lag and the calls of the
 * writes recovered after a lost response are measured too; the GetItem with which the harness adds the item dynalite
 * leaves out of a condition failure goes through an uncounted client (DynamoDB returns it with the failure).
 */
import { cpus } from 'node:os';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { changeFor } from '../../lambda/core';
import { mapLimit } from '../../lambda/shared/concurrency';
import { SWEEP_CURSOR, TABLE_KEY, pendingShardOf } from '../../lambda/shared/contract';
import { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import { DynamoSweepWrites } from '../../lambda/adapters/sweep-writes';
import { TableReader } from '../../lambda/adapters/table-reader';
import { RecordingOutcomeSink } from '../../tools/recording-outcomes';
import { createDrainHandler } from '../../lambda/drain/drain';
import { lineLogger } from '../../tools/local-pipeline/logger';
import { createSweepHandler } from '../../lambda/sweep/sweep';
import { DEMO_RULES } from '../../tools/local-pipeline/workload';
import { RecordingSweepMetrics } from '../../tools/local-pipeline/sweep';
import { CallCounter, localClients } from '../../tools/local-pipeline/clients';
import { startEmulators } from '../../tools/local-pipeline/emulators';
import { LocalEventSource } from '../../tools/local-pipeline/event-source';
import { createTable, provision } from '../../tools/local-pipeline/provision';
import { generateWorkload, seededRandom } from '../../tools/local-pipeline/workload';
import { chaosDynamo, noChaos } from '../../tools/local-pipeline/chaos';
import { returnItemOnConditionFailure } from '../../tools/dynalite-fidelity';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main() {
  const objects = arg('objects', 9000);
  const workers = arg('workers', 1);
  const chaosRate = arg('chaos', 0);
  const emulators = await startEmulators();
  try {
    const generator = localClients(emulators.endpoints); // publishes: not counted
    const monitor = localClients(emulators.endpoints);
    const calls = new CallCounter();
    calls.watch(monitor.dynamodb, 'dynamodb');
    calls.watch(monitor.sqs, 'sqs');
    const units = watchWriteUnits(monitor.dynamodb);
    const resources = await provision(generator, { regions: ['us-east-1'], visibilityTimeoutSeconds: 30 });

    const messages: string[] = [];
    generateWorkload({ objects, rules: DEMO_RULES, seed: 42, start: Date.now() - 40 * 60_000, spacingMillis: 200 }, (e) =>
      messages.push(JSON.stringify(e)),
    );
    const t0 = Date.now();
    for (let i = 0, inflight: Promise<unknown>[] = []; i < messages.length; i += 10) {
      inflight.push(
        generator.sns.send(
          new PublishBatchCommand({
            TopicArn: resources.topicArns['us-east-1'],
            PublishBatchRequestEntries: messages.slice(i, i + 10).map((Message, j) => ({ Id: String(j), Message })),
          }),
        ),
      );
      if (inflight.length >= 8) await Promise.all(inflight.splice(0));
      if (i + 10 >= messages.length) await Promise.all(inflight);
    }
    const publishSeconds = (Date.now() - t0) / 1000;

    const faults = noChaos();
    const drainClient =
      chaosRate > 0
        ? returnItemOnConditionFailure(chaosDynamo(monitor.dynamodb, chaosRate, seededRandom(7919), faults), generator.dynamodb)
        : monitor.dynamodb;
    const store = new DynamoRecordStore({ client: drainClient, tableName: resources.tableName, retentionHours: 24 });
    const outcomes = new RecordingOutcomeSink();
    const received = new Map<string, number>();
    const inner = createDrainHandler({
      store,
      deadLetters: new SqsDeadLetters(monitor.sqs, resources.dlqUrl),
      pairs: DEMO_RULES.flatMap((r) => r.destinations.map((destination) => ({ source: r.source, destination }))),
      overdueMillis: 15 * 60_000,
      outcomes,
      logger: lineLogger('drain', 'warn', (line) => process.stderr.write(line + '\n')),
    });
    // The time each message reached the drain: the start of the outcome lag.
    const drain = Object.assign(
      async (event: Parameters<typeof inner>[0]) => {
        const at = Date.now();
        for (const r of event.Records) if (!received.has(r.messageId)) received.set(r.messageId, at);
        return inner(event);
      },
      { counters: inner.counters },
    );
    const source = new LocalEventSource(monitor.sqs, drain, { queueUrl: resources.queueUrl, queueArn: resources.queueArn, waitSeconds: 0 });
    const t1 = Date.now();
    await source.run({ workers, idleRounds: 1, until: () => drain.counters.messages >= messages.length });
    const drainSeconds = (Date.now() - t1) / 1000;
    const c = drain.counters;
    const ddbWrites = calls.get('dynamodb.UpdateItemCommand');
    // Every monitor-side call of the drain: receive, delete, back-off, dead letters, DynamoDB (not the table's setup).
    const drainCalls = calls.total((n) => n.startsWith('sqs.') || (n.startsWith('dynamodb.') && !/CreateTable|DescribeTable/.test(n)));

    const metrics = new RecordingSweepMetrics();
    const before = calls.total();
    const t2 = Date.now();
    const table = { client: monitor.dynamodb, tableName: resources.tableName };
    const summary = await createSweepHandler({
      reader: new TableReader(table),
      writes: new DynamoSweepWrites({ ...table, retentionHours: 24 }),
      inspector: { head: async () => ({ outcome: 'found', status: 'PENDING' }) },
      metrics,
      pairs: DEMO_RULES.flatMap((r) => r.destinations.map((destination) => ({ source: r.source, destination }))),
      overdueMillis: 15 * 60_000,
      logger: lineLogger('sweep', 'warn', (line) => process.stderr.write(line + '\n')),
    })();
    const sweepSeconds = (Date.now() - t2) / 1000;
    const sweepCalls = calls.total() - before + summary.checked;

    const line = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value}`);
    console.log(`\ncrr-monitor pipeline benchmark (node ${process.version}, ${cpus().length} CPUs, dynalite + fauxqs on loopback)`);
    line('events (SQS messages) generated', `${messages.length} (${objects} objects, ${DEMO_RULES.length} rules, duplicates + shuffles)`);
    line('generator publish (SNS PublishBatch, not counted)', `${publishSeconds.toFixed(1)} s`);
    line(`drain: workers`, String(workers));
    line('drain: events/s (receive → drain → delete)', `${(c.events / drainSeconds).toFixed(0)} (${drainSeconds.toFixed(1)} s)`);
    line('drain: messages/s per worker', `${(c.messages / drainSeconds / workers).toFixed(0)}`);
    line(
      'drain: ReceiveMessage / DeleteMessageBatch',
      `${calls.get('sqs.ReceiveMessageCommand')} / ${calls.get('sqs.DeleteMessageBatchCommand')}`,
    );
    line('drain: DynamoDB writes per event', (ddbWrites / c.events).toFixed(3));
    line('drain: AWS calls per event (SQS + DynamoDB)', (drainCalls / c.events).toFixed(3));
    line('drain: applied / duplicates / failed / DLQ', `${c.applied} / ${c.unchanged} / ${c.failed} / ${c.deadLettered}`);
    if (chaosRate > 0) {
      line(
        `chaos ${chaosRate}: throttled / errors / lost responses`,
        `${faults.throttled} / ${faults.serverErrors} / ${faults.lostResponses}; ${c.recovered} recovered (${c.recoveredUnderLaterWrites} under later writes)`,
      );
    }
    line(
      'sweep: due read / attention read / overdue',
      `${summary.dueRead} / ${summary.attentionRead} / ${summary.overdue} in ${sweepSeconds.toFixed(1)} s`,
    );
    line('sweep: AWS calls (GetItem, Query, BatchGetItem, UpdateItem, HeadObject)', String(sweepCalls));
    line('all monitor calls per event, sweep included', ((drainCalls + sweepCalls) / c.events).toFixed(3));
    const figures = drainFigures({
      events: c.events,
      drainCalls,
      sweepCalls,
      writes: calls.total((n) => /^dynamodb\.(UpdateItem|PutItem|DeleteItem|BatchWriteItem)Command$/.test(n)),
      drainSeconds,
      workers,
      outcomes,
      received,
      writeUnits: units.total(),
      itemBytes: await meanItemBytes(generator.dynamodb, resources.tableName),
    });
    line('write capacity units per event / mean item bytes', `${figures.writeUnitsPerEvent} / ${figures.itemBytes}`);
    line('drain: outcomes published / lag p99', `${outcomes.published.length} / ${figures.outcomeLagSeconds.toFixed(3)} s`);
    const items = await sweepItemsRead(localClients(emulators.endpoints).dynamodb, arg('backlog', 1000));
    line(
      'sweep: items read, backlog B → 10×B',
      `${items.itemsRead} (B = ${items.backlog}) → ${items.itemsRead10x} (10×B = ${items.backlog10x})`,
    );
    if (process.argv.includes('--json')) console.log(JSON.stringify({ ...figures, sweepItemsRead: items }));
  } finally {
    await emulators.stop();
  }
}

/**
 * Items one sweep run reads (index entries its Queries return + records its BatchGets return, counted on the wire),
 * with B and then 10×B versions pending but not yet overdue, the rest unchanged: 50 versions crossing the threshold
 * in the run's one-minute window and 100 already overdue (in the attention set). The sweep must not read the backlog:
 * R10 ≈ R (target R10 ≤ 1.5 R).
 */
async function sweepItemsRead(dynamodb: DynamoDBClient, backlog: number) {
  let read = 0;
  dynamodb.middlewareStack.add(
    (next: any) => async (args: any) => {
      const out = await next(args);
      const o = out.output ?? {};
      read +=
        (o.Items?.length ?? 0) +
        Object.values(o.Responses ?? {}).reduce((n: number, list: any) => n + (Array.isArray(list) ? list.length : 0), 0);
      return out;
    },
    { step: 'initialize', name: 'benchItemsRead' },
  );
  const run = async (pending: number, name: string) => {
    await createTable(dynamodb, name); // waits until ACTIVE (a busy dynalite answers CREATING for a while)
    const now = Date.now();
    const store = new DynamoRecordStore({ client: dynamodb, tableName: name, retentionHours: 24 });
    const writes = new DynamoSweepWrites({ client: dynamodb, tableName: name, retentionHours: 24 });
    const put = async (key: string, sourceAt: number, dueAt: number) => {
      const change = changeFor({
        type: 'write',
        bucket: 'src',
        key,
        versionId: 'v',
        at: sourceAt,
        operation: 'PutObject',
        bytes: 1,
        byReplication: false,
      })!;
      await store.apply(change, { due: { shard: pendingShardOf(key, 'v'), dueAt } });
    };
    await mapLimit(
      Array.from({ length: pending }, (_, i) => i),
      16,
      (i) => put(`pending-${i}`, now - 5 * 60_000, now + 10 * 60_000),
    );
    await mapLimit(
      Array.from({ length: 50 }, (_, i) => i),
      16,
      (i) => put(`crossing-${i}`, now - 15.5 * 60_000, now - 30_000),
    );
    await mapLimit(
      Array.from({ length: 100 }, (_, i) => i),
      16,
      async (i) => {
        await put(`overdue-${i}`, now - 40 * 60_000, now - 25 * 60_000);
        await writes.mark(`overdue-${i}`, 'v', { state: 'OVERDUE', since: now - 40 * 60_000 });
      },
    );
    await writes.advanceCursor(0, now - 60_000);
    const sweep = createSweepHandler({
      reader: new TableReader({ client: dynamodb, tableName: name }),
      writes,
      inspector: { head: async () => ({ outcome: 'found', status: 'PENDING' }) },
      metrics: new RecordingSweepMetrics(),
      pairs: [{ source: 'src', destination: 'dst' }],
      overdueMillis: 15 * 60_000,
      logger: lineLogger('sweep', 'warn', (line) => console.error(line)),
      now: () => now,
    });
    read = 0;
    const summary = await sweep();
    if (summary.overdue !== 150) throw new Error(`bench: expected 150 overdue, the sweep counted ${summary.overdue}`);
    return read;
  };
  const itemsRead = await run(backlog, 'bench-sweep-b');
  const itemsRead10x = await run(10 * backlog, 'bench-sweep-10b');
  return { backlog, itemsRead, backlog10x: 10 * backlog, itemsRead10x };
}

/**
 * Table write capacity units of every UpdateItem `client` sends: ReturnConsumedCapacity TOTAL is added to the request
 * (the handlers do not ask for it) and dynalite answers max(old, new item size) / 1 KB, rounded up, as DynamoDB bills
 * a write. A condition failure carries no figure; DynamoDB bills it too (the existing item's size, at least 1 unit):
 * it is counted at 1.
 */
function watchWriteUnits(client: DynamoDBClient) {
  let total = 0;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if (context.commandName !== 'UpdateItemCommand') return next(args);
      args.input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const out = await next(args);
        total += out.output?.ConsumedCapacity?.CapacityUnits ?? 0;
        return out;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') total += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchWriteUnits' },
  );
  return { total: () => total };
}

/** DynamoDB's size of an attribute value (UTF-8 bytes of strings, ~number digits / 2 + 1, 3 + 1 per element of maps and lists). */
function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\./g, '').replace(/^0+/, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  return 0;
}

/** Mean size of the table's version items (names + values, DynamoDB's rule), the sweep cursor left out. */
async function meanItemBytes(client: DynamoDBClient, tableName: string): Promise<number> {
  let bytes = 0;
  let items = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) {
      if (item[TABLE_KEY.partition]?.S === SWEEP_CURSOR.pk) continue;
      items++;
      bytes += Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items ? Math.round(bytes / items) : 0;
}

/** The drain engineer's figures: calls and writes per event (sweep included), outcome lag, drain throughput. */
function drainFigures(m: {
  events: number;
  drainCalls: number;
  sweepCalls: number;
  writes: number;
  drainSeconds: number;
  workers: number;
  outcomes: RecordingOutcomeSink;
  received: Map<string, number>;
  writeUnits: number;
  itemBytes: number;
}) {
  const lags = m.outcomes.published
    .map((p) => (p.origin ? (p.at - (m.received.get(p.origin.messageId) ?? p.at)) / 1000 : 0))
    .sort((a, b) => a - b);
  const p99 = lags.length ? lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.99) - 1)] : 0;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    callsPerEvent: round((m.drainCalls + m.sweepCalls) / m.events),
    writesPerEvent: round(m.writes / m.events),
    outcomeLagSeconds: round(p99),
    writeUnitsPerEvent: round(m.writeUnits / m.events),
    itemBytes: m.itemBytes,
    drainEventsPerSecond: Math.round(m.events / m.drainSeconds / m.workers),
  };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
