/**
 * An OutcomeSink that keeps what it is given, for the local pipeline harness, tests and benchmarks (never deployed:
 * the drain's cloud sink is lambda/adapters/outcomes.ts' EMF). Every outcome is kept with its publish time and its
 * origin; `data()` gives the metric data they stand for in `--metrics-out`'s shape, with the gauges (the sweep's
 * OverdueReplications) recorded through `gauge`.
 */
import type { Outcome } from '../lambda/core/outcomes';
import { METRIC_UNIT, type MetricName } from '../lambda/core/metric-names';
import { datumsOf, type OutcomeDatum, type OutcomeOrigin, type OutcomeSink } from '../lambda/adapters/outcomes';

export interface RecordedOutcome {
  readonly outcome: Outcome;
  readonly at: number;
  readonly origin?: OutcomeOrigin;
}

/** One line of `--metrics-out`: a metric of one pair (or one source), its values and how often each was published. */
export interface MetricLine {
  readonly metric: string;
  readonly source: string;
  readonly destination?: string;
  readonly unit: string;
  readonly values: number[];
  readonly counts: number[];
}

export class RecordingOutcomeSink implements OutcomeSink {
  readonly published: RecordedOutcome[] = [];
  /** Gauge data published besides the outcomes (OverdueReplications per pair, each complete sweep). */
  readonly gauges: OutcomeDatum[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  publish(outcomes: readonly Outcome[], origin?: OutcomeOrigin): void {
    const at = this.clock();
    for (const outcome of outcomes) this.published.push({ outcome, at, ...(origin ? { origin } : {}) });
  }

  gauge(metric: MetricName, source: string, destination: string, value: number): void {
    this.gauges.push({ metric, source, destination, unit: METRIC_UNIT[metric], value });
  }

  get outcomes(): Outcome[] {
    return this.published.map((p) => p.outcome);
  }

  /** Every datum published, aggregated per metric and pair as values/counts (sorted, so the output is stable). */
  data(): MetricLine[] {
    const lines = new Map<string, { metric: string; source: string; destination?: string; unit: string; values: Map<number, number> }>();
    const data = [...this.published.flatMap(({ outcome }) => datumsOf(outcome)), ...this.gauges];
    for (const d of data) {
      const id = `${d.metric}\u0000${d.source}\u0000${d.destination ?? ''}`;
      let line = lines.get(id);
      if (!line)
        lines.set(
          id,
          (line = {
            metric: d.metric,
            source: d.source,
            ...(d.destination !== undefined ? { destination: d.destination } : {}),
            unit: d.unit,
            values: new Map(),
          }),
        );
      line.values.set(d.value, (line.values.get(d.value) ?? 0) + 1);
    }
    return [...lines.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { values, ...rest }]) => {
        const entries = [...values].sort((a, b) => a[0] - b[0]);
        return { ...rest, values: entries.map((e) => e[0]), counts: entries.map((e) => e[1]) };
      });
  }
}
