/**
 * The deployed entry point `lambda/drain/index.ts` builds its clients from the environment only. With
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS pointing at the emulators (the SDK's standard settings),
 * the same code writes dynalite and dead-letters to fauxqs.
 */
import { ENV } from '../../lambda/shared/contract';
import { toSqsRecord } from '../../tools/local-pipeline/event-source';
import { eventBridgeWrite } from '../../tools/local-pipeline/events';
import { readAll, receiveDeadLetters, startHarness, tableOf, type Harness } from '../support/pipeline';

let h: Harness;
const saved = { ...process.env };
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  process.env = saved;
  await h?.stop();
});

test('drain handler from env honours AWS_ENDPOINT_URL_<SERVICE>', async () => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: h.emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: h.emulators.endpoints.sqs,
    [ENV.tableName]: h.resources.tableName,
    [ENV.dlqUrl]: h.resources.dlqUrl,
    [ENV.queueUrl]: h.resources.queueUrl,
    [ENV.config]: JSON.stringify({
      replication: [{ source: 'env-src', destinations: ['env-dst'] }],
      retentionHours: 48,
      overdueMinutes: 15,
      agentRoles: {},
    }),
    LOG_LEVEL: 'silent',
  });
  const { handler } = await import('../../lambda/drain/index');
  const good = toSqsRecord(
    {
      MessageId: 'm1',
      ReceiptHandle: 'r1',
      Body: JSON.stringify(eventBridgeWrite({ bucket: 'env-src', key: 'e/1', versionId: 'v', at: Date.parse('2026-11-20T10:00:00Z') })),
    },
    h.resources.queueArn,
  );
  const bad = toSqsRecord({ MessageId: 'm2', ReceiptHandle: 'r2', Body: '{"hello":' }, h.resources.queueArn);
  const before = Math.floor(Date.now() / 1000);
  await expect(handler({ Records: [good, bad] })).resolves.toEqual({ batchItemFailures: [] });
  const stored = (await readAll(tableOf(h, h.resources.tableName))).get('e/1\u0000v');
  expect(stored?.dueShard).toBeDefined();
  const dead = await receiveDeadLetters(h);
  expect(dead.map((m) => m.MessageAttributes?.originalMessageId?.StringValue)).toEqual(['m2']);
  // TTL: retentionHours 48 from CONFIG_JSON.
  const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const item = await h.clients.dynamodb.send(
    new GetItemCommand({ TableName: h.resources.tableName, Key: { pk: { S: 'e/1' }, sk: { S: 'v' } } }),
  );
  const ttl = Number(item.Item!.expiresAt.N);
  expect(ttl).toBeGreaterThanOrEqual(before + 48 * 3600);
  expect(ttl).toBeLessThanOrEqual(before + 48 * 3600 + 60);
});
