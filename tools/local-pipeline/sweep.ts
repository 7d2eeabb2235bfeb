/**
 * Step "sweep": the real sweep handler over the table, as its schedule would run it. No S3 on the emulators: for a
 * generated workload HeadObject is answered from the workload's ground truth (SimulatedS3); in a replay there is no
 * inspector at all. What it publishes as EMF in the cloud is recorded instead (RecordingSweepMetrics), into the same
 * recorder as the drain's outcomes when one is given, so `--metrics-out` holds every datum of both.
 *
 * With `--chaos` the sweep's writes go through chaosSweepWrites (the function dies between writes) and its DynamoDB
 * client through chaosDynamo (throttling, errors, lost responses): a run that dies is simply run again, one minute
 * later as the next scheduled invocation, until one completes — what it already did must be neither lost nor doubled.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReplicationPair } from '../../lambda/core';
import type { Outcome } from '../../lambda/core/outcomes';
import type { HeadResult, ObjectInspector } from '../../lambda/adapters/s3';
import { DynamoSweepWrites } from '../../lambda/adapters/sweep-writes';
import { TableReader } from '../../lambda/adapters/table-reader';
import { METRIC } from '../../lambda/core/metric-names';
import { lineLogger } from './logger';
import { createSweepHandler, type SweepMetrics, type SweepSummary } from '../../lambda/sweep/sweep';
import type { RecordingOutcomeSink } from '../recording-outcomes';
import type { WorkloadObject } from './workload';
import { chaosSweepWrites, SweepDied, type ChaosCounts } from './chaos';

/**
 * HeadObject as S3 would answer it for the workload: on the source, no status when no rule covers the version,
 * PENDING while a replica is still on its way (S3 keeps the aggregate PENDING until every destination is done),
 * then FAILED if any failed, else COMPLETED; on a destination, REPLICA where the replica was written, else 404.
 */
class SimulatedS3 implements Pick<ObjectInspector, 'head'> {
  private readonly objects = new Map<string, WorkloadObject>();

  constructor(objects: readonly WorkloadObject[]) {
    for (const o of objects) this.objects.set(`${o.key}\u0000${o.versionId}`, o);
  }

  async head(bucket: string, key: string, versionId: string): Promise<HeadResult> {
    const o = this.objects.get(`${key}\u0000${versionId}`);
    if (!o) return { outcome: 'not-found' };
    if (bucket === o.source) {
      if (o.untracked) return { outcome: 'found' };
      const status = o.unreplicated.length ? 'PENDING' : o.failed.length ? 'FAILED' : 'COMPLETED';
      return { outcome: 'found', status };
    }
    return o.replicated.includes(bucket) ? { outcome: 'found', status: 'REPLICA' } : { outcome: 'not-found' };
  }
}

type Gauge = { source: string; destination: string; count: number };

/** Keeps what the sweep publishes (tests, the harness); the cloud's is lambda/sweep/emf-metrics.ts. */
export class RecordingSweepMetrics implements SweepMetrics {
  readonly published: Outcome[] = [];
  readonly gauges: Gauge[][] = [];
  /** `into`: also record every datum there (the harness's one recorder for `--metrics-out`). */
  constructor(private readonly into?: RecordingOutcomeSink) {}
  outcomes(outcomes: readonly Outcome[]): void {
    this.published.push(...outcomes);
    this.into?.publish(outcomes);
  }
  overdue(counts: readonly Gauge[]): void {
    this.gauges.push([...counts]);
    for (const c of counts) this.into?.gauge(METRIC.OverdueReplications, c.source, c.destination, c.count);
  }
}

export interface SweepStepOptions {
  readonly pairs: readonly ReplicationPair[];
  readonly overdueMinutes: number;
  /** The first run's time; a run that dies is followed by one a minute later. */
  readonly at: number;
  /** The workload's objects (HeadObject answered from them); absent in a replay: no inspector. */
  readonly objects?: readonly WorkloadObject[];
  readonly recorder?: RecordingOutcomeSink;
  /** `--chaos`: the sweep's own client with chaosDynamo on it, and the death draw for each write. */
  readonly chaos?: { client: DynamoDBClient; rate: number; random: () => number; counts: ChaosCounts };
  /** A bound, so a broken sweep fails the run instead of looping. */
  readonly maxRuns?: number;
}

export async function sweep(table: { client: DynamoDBClient; tableName: string }, options: SweepStepOptions) {
  const metrics = new RecordingSweepMetrics(options.recorder);
  const inspector = options.objects ? new SimulatedS3(options.objects) : undefined;
  const maxRuns = options.maxRuns ?? 50;
  const logger = lineLogger('sweep', 'silent', () => undefined);
  let runs = 0;
  for (;;) {
    const at = options.at + runs * 60_000;
    runs++;
    const client = options.chaos?.client ?? table.client;
    const writes = new DynamoSweepWrites({ tableName: table.tableName, client, retentionHours: 24, now: () => at });
    const handler = createSweepHandler({
      reader: new TableReader(table),
      writes: options.chaos ? chaosSweepWrites(writes, options.chaos.rate, options.chaos.random, options.chaos.counts) : writes,
      ...(inspector ? { inspector } : {}),
      metrics,
      pairs: [...options.pairs],
      overdueMillis: options.overdueMinutes * 60_000,
      logger,
      now: () => at,
    });
    let swept: SweepSummary;
    try {
      swept = await handler();
    } catch (error) {
      if (!(error instanceof SweepDied)) throw error;
      if (runs >= maxRuns) throw new Error(`the sweep died in each of ${runs} runs`, { cause: error });
      continue;
    }
    if (!swept.complete) throw new Error(`the sweep at ${swept.asOf} stopped before the end of its window`);
    return { swept, metrics, runs };
  }
}
