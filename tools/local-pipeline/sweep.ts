/**
 * Step "sweep": one run of the sweep handler over the table at the report's time. No S3 on the emulators:
 * for a generated workload HeadObject is simulated (a version still on its way is PENDING); in a replay
 * there is no inspector at all.
 */
import type { ReplicationPair } from '../../lambda/core';
import type { DynamoRecordStore } from '../../lambda/adapters/dynamodb';
import { RecordingMetricsSink } from '../../lambda/adapters/metrics';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { lineLogger } from './logger';
import { createSweepHandler } from '../../lambda/sweep/sweep';

class SimulatedS3 implements Pick<ObjectInspector, 'head'> {
  async head(): Promise<HeadResult> {
    return { outcome: 'found', status: 'PENDING' };
  }
}

export async function sweep(
  store: DynamoRecordStore,
  options: { pairs: readonly ReplicationPair[]; overdueMinutes: number; at: number; simulateS3: boolean },
) {
  const metrics = new RecordingMetricsSink();
  const handler = createSweepHandler({
    store,
    ...(options.simulateS3 ? { inspector: new SimulatedS3() } : {}),
    metrics,
    pairs: [...options.pairs],
    overdueMillis: options.overdueMinutes * 60_000,
    logger: lineLogger('sweep', 'silent', () => undefined),
    now: () => options.at,
  });
  const swept = await handler();
  return { swept, metricRequests: metrics.requests.length };
}
