import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricsSink } from '../adapters/metrics';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { tableAndInspectorFromEnv } from '../shared/table-from-env';
import { createLogger } from '../shared/log';
import { parseRuntimeConfig } from '../shared/runtime-config';
import { ENV } from '../shared/table-schema';
import { createSweepHandler, type SweepSummary } from './sweep';

export { createSweepHandler } from './sweep';

let sweep: (() => Promise<SweepSummary>) | undefined;

function build(): () => Promise<SweepSummary> {
  const config = parseRuntimeConfig(process.env[ENV.config]);
  return createSweepHandler({
    ...tableAndInspectorFromEnv(config),
    metrics: new CloudWatchMetricsSink(new CloudWatchClient({})),
    pairs: config.pairs,
    overdueMillis: config.overdueMinutes * 60_000,
    namespace: process.env[ENV.metricsNamespace] || METRICS_NAMESPACE,
    logger: createLogger('sweep'),
  });
}

/** Invoked by the every-minute schedule; the event carries nothing the sweep needs. */
export async function handler(): Promise<SweepSummary> {
  sweep ??= build();
  return sweep();
}
