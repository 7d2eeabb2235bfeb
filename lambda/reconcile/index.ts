import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { prepareReconcile, snapshotOf } from '../../engines/reconcile/athena';
import { S3InventoryStore } from '../adapters/inventory-store';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { ENV, parseReconcileSettings, parseRuntimeConfig, RECONCILE_OUTPUT } from '../shared/contract';
import { createLogger } from '../shared/log';
import { EmfReconcileMetrics } from './emf-metrics';
import { createReconcileHandler, type ObjectCreatedEvent, type ReconcileOutcome } from './reconcile';

export { createReconcileHandler } from './reconcile';

let reconcile: ((event: ObjectCreatedEvent) => Promise<ReconcileOutcome>) | undefined;

function build() {
  const config = parseRuntimeConfig(process.env[ENV.config]);
  const settings = parseReconcileSettings(process.env[ENV.reconcile]);
  const athena = new AthenaClient({});
  const target = {
    client: athena,
    workgroup: settings.workgroup,
    database: settings.database,
    outputLocation: `s3://${settings.inventoryBucket}/${settings.outputPrefix}${RECONCILE_OUTPUT.athena}`,
  };
  return createReconcileHandler({
    settings,
    pairs: config.pairs,
    overdueMillis: config.overdueMinutes * 60_000,
    store: new S3InventoryStore(new S3Client({})),
    engine: { prepare: (request) => prepareReconcile({ ...request, target }) },
    snapshotOf,
    metrics: new EmfReconcileMetrics(process.env[ENV.metricsNamespace] || METRICS_NAMESPACE),
    logger: createLogger('reconcile'),
  });
}

/** Invoked by the EventBridge rule on a manifest.json in the inventory bucket (asynchronously: failures are retried). */
export async function handler(event: ObjectCreatedEvent): Promise<ReconcileOutcome> {
  reconcile ??= build();
  return reconcile(event);
}
