/**
 * A DynamoDB outage mid-drain (issue 7 item 5): dynalite is stopped while the drain works through the queue and
 * restarted on the same port with the same data directory. Failed messages are backed off by receive count
 * (ChangeMessageVisibilityBatch, scaled down here: 1, 2, 4, 8 s), so that they outlive the outage although the
 * queue's 1 s visibility timeout and maxReceiveCount 5 would have moved them all to the DLQ within 5 s. At the
 * end every event is in the table and the DLQ is empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRecordStore } from '../../../lambda/adapters/dynamodb';
import { SqsDeadLetters, SqsMessageVisibility } from '../../../lambda/adapters/dead-letters';
import { createDrainHandler } from '../../../lambda/drain/drain';
import { memoryLogger } from '../../support/memory-logger';
import { eventBridgeWrite } from '../../../tools/local-pipeline/events';
import { LocalEventSource } from '../../../tools/local-pipeline/event-source';
import { createTable } from '../../../tools/local-pipeline/provision';
import { RecordingOutcomeSink } from '../../../tools/recording-outcomes';
import { publish, purgeQueues, readAll, receiveDeadLetters, sleep, startHarness, type Harness } from '../../support/pipeline';

jest.setTimeout(90_000);

const SCRIPT = `
const dynalite = require('dynalite');
const server = dynalite({ path: process.argv[1], createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

/** dynalite persisted in `dir`, on `port` (0: any). */
function startDynalite(dir: string, port: number): Promise<{ port: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, dir, String(port)], {
      cwd: path.resolve(__dirname, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    child.once('exit', (code) => reject(new Error(`dynalite exited (${code}): ${err}`)));
    child.stdout!.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (!line) return;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        port: JSON.parse(line).port,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'crr-outage-'));
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('dynalite stopped mid-drain and restarted: every event in the table, nothing in the DLQ', async () => {
  await purgeQueues(h);
  let dynalite = await startDynalite(dir, 0);
  const port = dynalite.port;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 2,
  });
  await createTable(client, 'outage');
  const store = new DynamoRecordStore({ client, tableName: 'outage', retentionHours: 24 });
  const visibility = new SqsMessageVisibility(h.clients.sqs, h.resources.queueUrl);
  let delays = 0;
  const drain = createDrainHandler({
    store,
    deadLetters: new SqsDeadLetters(h.clients.sqs, h.resources.dlqUrl),
    visibility: { delay: async (m) => ((delays += m.length), visibility.delay(m)) },
    backoff: (n) => Math.min(8, 2 ** (n - 1)),
    pairs: [{ source: 'src', destination: 'dst' }],
    overdueMillis: 900_000,
    outcomes: new RecordingOutcomeSink(),
    logger: memoryLogger(),
  });
  const T0 = Date.parse('2026-11-20T10:00:00Z');
  const total = 40;
  for (let i = 0; i < total; i++) await publish(h, eventBridgeWrite({ bucket: 'src', key: `k/${i}`, versionId: `v${i}`, at: T0 + i }));
  const source = new LocalEventSource(h.clients.sqs, drain, {
    queueUrl: h.resources.queueUrl,
    queueArn: h.resources.queueArn,
    batchSize: 5,
  });
  await source.pollOnce(); // some events in before the outage
  await dynalite.stop();
  // 8 s of outage: with the queue's 1 s visibility alone every message would pass maxReceiveCount 5.
  const outageEnds = Date.now() + 8000;
  while (Date.now() < outageEnds) {
    await source.pollOnce();
    await sleep(200);
  }
  expect(drain.counters.failed).toBeGreaterThan(0);
  expect(delays).toBeGreaterThan(0);
  dynalite = await startDynalite(dir, port);
  try {
    const deadline = Date.now() + 40_000;
    while ((await readAll({ client, tableName: 'outage' })).size < total && Date.now() < deadline) {
      await source.pollOnce();
      await sleep(200);
    }
    expect((await readAll({ client, tableName: 'outage' })).size).toBe(total);
    expect(await receiveDeadLetters(h)).toHaveLength(0);
  } finally {
    await dynalite.stop();
  }
});
