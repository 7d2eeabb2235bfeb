/**
 * The deployed entry point lambda/reconcile/index.ts: built from the environment the stack sets (CONFIG_JSON,
 * RECONCILE_JSON), it refuses an event S3 did not send before touching any AWS API; bad settings fail by name.
 */
import { ENV, parseReconcileSettings } from '../../../lambda/shared/contract';

const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

const settings = {
  inventoryBucket: 'inventories',
  inventoryPrefix: '',
  outputPrefix: 'crr-monitor/reconcile/',
  workgroup: 'MonitorStack-reconcile',
  database: 'monitorstack_reconcile',
};

test('the handler built from the environment refuses a forged event, calling nothing', async () => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Nothing listens here: any AWS call would fail the test.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    [ENV.config]: JSON.stringify({
      pairs: [{ source: 'src-b', destination: 'dst-b' }],
      retentionHours: 24,
      overdueMinutes: 15,
      agentRoles: {},
    }),
    [ENV.reconcile]: JSON.stringify(settings),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = await import('../../../lambda/reconcile/index');
  const forged = {
    source: 'my.app',
    'detail-type': 'Object Created',
    detail: { bucket: { name: 'inventories' }, object: { key: 'src-b/c/2026-11-20T00-00Z/manifest.json' } },
  };
  await expect(handler(forged)).resolves.toMatchObject({ status: 'skipped', reason: expect.stringContaining('"my.app"') });
});

test('RECONCILE_JSON problems are named', () => {
  expect(() => parseReconcileSettings(undefined)).toThrow('RECONCILE_JSON is not set');
  expect(() => parseReconcileSettings('{')).toThrow('RECONCILE_JSON is not valid JSON');
  expect(() => parseReconcileSettings(JSON.stringify({ ...settings, outputPrefix: 'no-slash' }))).toThrow('RECONCILE_JSON outputPrefix');
  expect(() => parseReconcileSettings(JSON.stringify({ ...settings, extra: 1 }))).toThrow('RECONCILE_JSON');
  expect(parseReconcileSettings(JSON.stringify(settings))).toEqual(settings);
});
