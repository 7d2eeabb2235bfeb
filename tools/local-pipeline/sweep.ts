/**
 * Step "sweep": one run of the sweep handler over the table at the report's time. No S3 on the emulators:
 * for a generated workload HeadObject is simulated (a version still on its way is PENDING); in a replay
 * there is no inspector at all. The metrics it would publish as EMF are recorded instead (RecordingSweepMetrics).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReplicationPair } from '../../lambda/core';
import type { Outcome } from '../../lambda/core/outcomes';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { DynamoSweepWrites } from '../../lambda/adapters/sweep-writes';
import { TableReader } from '../../lambda/adapters/table-reader';
import { lineLogger } from './logger';
import { createSweepHandler, type SweepMetrics } from '../../lambda/sweep/sweep';

/** A version on its way is PENDING; a source version of the workload's `untracked` share has no status at all. */
class SimulatedS3 implements Pick<ObjectInspector, 'head'> {
  constructor(private readonly untracked: ReadonlySet<string>) {}
  async head(bucket: string, key: string, versionId: string): Promise<HeadResult> {
    return this.untracked.has(versionKey(bucket, key, versionId)) ? { outcome: 'found' } : { outcome: 'found', status: 'PENDING' };
  }
}

const versionKey = (bucket: string, key: string, versionId: string) => `${bucket}\u0000${key}\u0000${versionId}`;

/** Keeps what the sweep publishes (tests, the harness); the cloud's is lambda/sweep/emf-metrics.ts. */
export class RecordingSweepMetrics implements SweepMetrics {
  readonly published: Outcome[] = [];
  readonly gauges: { source: string; destination: string; count: number }[][] = [];
  outcomes(outcomes: readonly Outcome[]): void {
    this.published.push(...outcomes);
  }
  overdue(counts: readonly { source: string; destination: string; count: number }[]): void {
    this.gauges.push([...counts]);
  }
}

export async function sweep(
  table: { client: DynamoDBClient; tableName: string },
  options: {
    pairs: readonly ReplicationPair[];
    overdueMinutes: number;
    at: number;
    simulateS3: boolean;
    /** Source versions the simulated S3 shows with no replication status (the workload's untracked writes). */
    untracked?: readonly { source: string; key: string; versionId: string }[];
  },
) {
  const untracked = new Set((options.untracked ?? []).map((v) => versionKey(v.source, v.key, v.versionId)));
  const metrics = new RecordingSweepMetrics();
  const handler = createSweepHandler({
    reader: new TableReader(table),
    writes: new DynamoSweepWrites({ ...table, retentionHours: 24, now: () => options.at }),
    ...(options.simulateS3 ? { inspector: new SimulatedS3(untracked) } : {}),
    metrics,
    pairs: [...options.pairs],
    overdueMillis: options.overdueMinutes * 60_000,
    logger: lineLogger('sweep', 'silent', () => undefined),
    now: () => options.at,
  });
  const swept = await handler();
  return { swept, metrics };
}
