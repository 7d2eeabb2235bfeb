/**
 * npm run bench:pipeline [-- --objects N --workers W]
 *
 * Drives ≥ 20,000 events through the emulated SNS → SQS → drain → DynamoDB path and prints events/s, AWS API
 * calls per event made by the monitor's side (SQS receive + delete, DynamoDB, S3, CloudWatch; not the
 * generator's publishes), counted with SDK middleware, and DynamoDB writes per event. Then one sweep.
 */
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { SqsDeadLetters } from '../../lambda/adapters/dead-letters';
import { RecordingMetricsSink } from '../../lambda/adapters/metrics';
import { createDrainHandler } from '../../lambda/drain/drain';
import { lineLogger } from '../../tools/local-pipeline/logger';
import { createSweepHandler } from '../../lambda/sweep/sweep';
import { DEMO_RULES } from '../../tools/local-pipeline/workload';
import { CallCounter, localClients } from '../../tools/local-pipeline/clients';
import { startEmulators } from '../../tools/local-pipeline/emulators';
import { LocalEventSource } from '../../tools/local-pipeline/event-source';
import { provision } from '../../tools/local-pipeline/provision';
import { generateWorkload } from '../../tools/local-pipeline/workload';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main() {
  const objects = arg('objects', 9000);
  const workers = arg('workers', 1);
  const emulators = await startEmulators();
  try {
    const generator = localClients(emulators.endpoints); // publishes: not counted
    const monitor = localClients(emulators.endpoints);
    const calls = new CallCounter();
    calls.watch(monitor.dynamodb, 'dynamodb');
    calls.watch(monitor.sqs, 'sqs');
    const resources = await provision(generator, { regions: ['us-east-1'], visibilityTimeoutSeconds: 30 });

    const messages: string[] = [];
    generateWorkload({ objects, rules: DEMO_RULES, seed: 42, start: Date.now() - 40 * 60_000, spacingMillis: 200 }, (e) => messages.push(JSON.stringify(e)));
    const t0 = Date.now();
    for (let i = 0, inflight: Promise<unknown>[] = []; i < messages.length; i += 10) {
      inflight.push(
        generator.sns.send(
          new PublishBatchCommand({ TopicArn: resources.topicArns['us-east-1'], PublishBatchRequestEntries: messages.slice(i, i + 10).map((Message, j) => ({ Id: String(j), Message })) }),
        ),
      );
      if (inflight.length >= 8) await Promise.all(inflight.splice(0));
      if (i + 10 >= messages.length) await Promise.all(inflight);
    }
    const publishSeconds = (Date.now() - t0) / 1000;

    const store = new DynamoRecordStore({ client: monitor.dynamodb, tableName: resources.tableName, retentionHours: 24 });
    const drain = createDrainHandler({
      store,
      deadLetters: new SqsDeadLetters(monitor.sqs, resources.dlqUrl),
      sources: new Set(DEMO_RULES.map((r) => r.source)),
      logger: lineLogger('drain', 'warn', (line) => process.stderr.write(line + '\n')),
    });
    const source = new LocalEventSource(monitor.sqs, drain, { queueUrl: resources.queueUrl, queueArn: resources.queueArn, waitSeconds: 0 });
    const t1 = Date.now();
    await source.run({ workers, idleRounds: 1, until: () => drain.counters.messages >= messages.length });
    const drainSeconds = (Date.now() - t1) / 1000;
    const c = drain.counters;
    const ddbWrites = calls.get('dynamodb.UpdateItemCommand');
    const drainCalls = calls.get('sqs.ReceiveMessageCommand') + calls.get('sqs.DeleteMessageBatchCommand') + calls.total((n) => n.startsWith('dynamodb.') && !/CreateTable|DescribeTable/.test(n));

    const metrics = new RecordingMetricsSink();
    const before = calls.total();
    const t2 = Date.now();
    const summary = await createSweepHandler({
      store,
      inspector: { head: async () => ({ outcome: 'found', status: 'PENDING' }) },
      metrics,
      pairs: DEMO_RULES.flatMap((r) => r.destinations.map((destination) => ({ source: r.source, destination }))),
      overdueMillis: 15 * 60_000,
      logger: lineLogger('sweep', 'warn', (line) => process.stderr.write(line + '\n')),
    })();
    const sweepSeconds = (Date.now() - t2) / 1000;
    const sweepCalls = calls.total() - before + metrics.requests.length + summary.checked;

    const line = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value}`);
    console.log(`\ncrr-monitor pipeline benchmark (node ${process.version}, ${require('node:os').cpus().length} CPUs, dynalite + fauxqs on loopback)`);
    line('events (SQS messages) generated', `${messages.length} (${objects} objects, ${DEMO_RULES.length} rules, duplicates + shuffles)`);
    line('generator publish (SNS PublishBatch, not counted)', `${publishSeconds.toFixed(1)} s`);
    line(`drain: workers`, String(workers));
    line('drain: events/s (receive → drain → delete)', `${(c.events / drainSeconds).toFixed(0)} (${drainSeconds.toFixed(1)} s)`);
    line('drain: messages/s per worker', `${(c.messages / drainSeconds / workers).toFixed(0)}`);
    line('drain: ReceiveMessage / DeleteMessageBatch', `${calls.get('sqs.ReceiveMessageCommand')} / ${calls.get('sqs.DeleteMessageBatchCommand')}`);
    line('drain: DynamoDB writes per event', (ddbWrites / c.events).toFixed(3));
    line('drain: AWS calls per event (SQS + DynamoDB)', (drainCalls / c.events).toFixed(3));
    line('drain: applied / duplicates / failed / DLQ', `${c.applied} / ${c.unchanged} / ${c.failed} / ${c.deadLettered}`);
    line('sweep: pending read / settled / overdue', `${summary.scanned} / ${summary.settled} / ${summary.overdue} in ${sweepSeconds.toFixed(1)} s`);
    line('sweep: AWS calls (Query, UpdateItem, HeadObject, PutMetricData)', String(sweepCalls));
    line('all monitor calls per event, sweep included', ((drainCalls + sweepCalls) / c.events).toFixed(3));
  } finally {
    await emulators.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
