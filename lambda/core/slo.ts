/**
 * The RPO report: per pair and per UTC day of the source write, how many object versions reached the destination
 * within the recovery point objective (`--slo-minutes`, config `sloMinutes`; default the overdue threshold). This is
 * what an auditor asks ("what share of our objects were in the DR Region within 15 minutes, day by day?") and what
 * Replication Time Control promises (99.99 % within 15 minutes).
 *
 * Which versions count (docs/report-schema.md, `slo`):
 *   - a COMPLETED version with a latency: within the objective when latency ≤ objective, missed otherwise;
 *   - a FAILED object version: missed (it never arrived);
 *   - a PENDING/OVERDUE version pending for longer than the objective: missed (it can no longer be within it);
 *     one still inside the objective does not count yet;
 *   - never: a completion without a latency (the source write was not seen, or only HeadObject proved it, so there
 *     is no time to judge), a source version deleted before it replicated, a failed delete marker (not an object
 *     version).
 * `worstSeconds` is the longest a counted version went without its replica: a completed version's latency; for a
 * failed or pending version its age at the report's evaluation time (a lower bound: it still has no replica).
 *
 * Pure: states in, figures out. Order- and repetition-free over versions as long as each version is added once
 * (the report builders add each pair state once).
 */
import { failureClassOf } from './failures';
import { bySourceThenDestination } from './statistics';
import type { EpochMillis, PairState } from './types';

/** The figures of one pair or one day. */
export interface SloFigures {
  /** Versions judged: completed with a latency, failed, and pending for longer than the objective. */
  readonly versions: number;
  readonly withinObjective: number;
  readonly missedObjective: number;
  /** 100 × withinObjective / versions; null when versions is 0. */
  readonly percentWithin: number | null;
  /** The longest a counted version went without its replica (see the module comment); null when versions is 0. */
  readonly worstSeconds: number | null;
}

export interface SloDay extends SloFigures {
  /** The UTC day of the source write, YYYY-MM-DD. */
  readonly day: string;
}

export interface SloPair extends SloFigures {
  readonly source: string;
  readonly destination: string;
  /** The UTC days with at least one counted version, ascending. */
  readonly days: readonly SloDay[];
}

/** The report's top-level `slo`. */
export interface SloReport {
  readonly objectiveSeconds: number;
  /** One entry per pair the report lists (zeros and nulls when none of its versions counts yet). */
  readonly pairs: readonly SloPair[];
}

/** One judged version: what the archive's rows give as well as what a pair state gives. */
export interface SloSample {
  readonly source: string;
  readonly destination: string;
  readonly sourceAt: EpochMillis;
  /** Seconds without a replica: the latency, or the age so far of a version that has none. */
  readonly seconds: number;
  /** Whether the version arrived (a latency); false for failed and pending versions. */
  readonly arrived: boolean;
}

/**
 * Whether a failure reason makes an object version miss its objective: not when the source version was deleted
 * before it replicated (`sourceDeleted`) or the failure is a delete marker's (`deleteMarker`): the classes of
 * lambda/core/failures.ts, which the archive's rows (reason only) are judged by as well.
 */
export function judgedFailure(reason: string | undefined): boolean {
  const failureClass = failureClassOf(reason ?? 'Unknown');
  return failureClass === 'data' || failureClass === 'metadata';
}

/** The sample a pair state gives at evaluation time `at`, or undefined when the state does not count (yet). */
export function sloSampleOf(state: PairState, objectiveSeconds: number, at: EpochMillis): SloSample | undefined {
  const { source, destination, sourceAt } = state;
  switch (state.state) {
    case 'COMPLETED':
      if (state.withoutSource || state.latencySeconds === null) return undefined;
      return { source, destination, sourceAt, seconds: state.latencySeconds, arrived: true };
    case 'FAILED':
      if (!judgedFailure(state.failureReason)) return undefined;
      return { source, destination, sourceAt, seconds: Math.max(0, at - sourceAt) / 1000, arrived: false };
    case 'PENDING':
    case 'OVERDUE': {
      const seconds = state.pendingSeconds ?? Math.max(0, at - sourceAt) / 1000;
      return seconds > objectiveSeconds ? { source, destination, sourceAt, seconds, arrived: false } : undefined;
    }
    default:
      // A state this module does not know (e.g. a source deleted before it replicated) is not judged.
      return undefined;
  }
}

interface Tally {
  within: number;
  missed: number;
  worst: number;
}

const newTally = (): Tally => ({ within: 0, missed: 0, worst: -1 });

function figures(t: Tally): SloFigures {
  const versions = t.within + t.missed;
  return {
    versions,
    withinObjective: t.within,
    missedObjective: t.missed,
    percentWithin: versions === 0 ? null : (100 * t.within) / versions,
    worstSeconds: versions === 0 ? null : t.worst,
  };
}

/** The UTC day (YYYY-MM-DD) of an epoch-millisecond time. */
export function utcDay(at: EpochMillis): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** What an `SloBuilder` has tallied, as plain data (it crosses worker threads), for `merge`. */
export interface SloPart {
  readonly pairs: readonly { source: string; destination: string }[];
  readonly days: readonly { source: string; destination: string; day: string; within: number; missed: number; worstSeconds: number }[];
}

/** Folds judged versions into the `slo` report; feed it pair states (or per-day tallies) one at a time, then `build()`. */
export class SloBuilder {
  private readonly byPair = new Map<string, { source: string; destination: string; total: Tally; days: Map<string, Tally> }>();

  /** `at`: the evaluation time, which ages failed and pending versions. */
  constructor(
    readonly objectiveSeconds: number,
    private readonly at: EpochMillis,
  ) {}

  /** Lists the pair even if none of its versions counts (the report lists it). */
  addPair(source: string, destination: string) {
    const id = `${source}>${destination}`;
    let pair = this.byPair.get(id);
    if (!pair) this.byPair.set(id, (pair = { source, destination, total: newTally(), days: new Map() }));
    return pair;
  }

  addState(state: PairState): void {
    const pair = this.addPair(state.source, state.destination);
    const sample = sloSampleOf(state, this.objectiveSeconds, this.at);
    if (sample) this.tally(pair, sample);
  }

  /** A day's tally counted elsewhere (the archive's SQL): merged as if its versions were added one by one. */
  addDay(tally: { source: string; destination: string; day: string; within: number; missed: number; worstSeconds: number }): void {
    const pair = this.addPair(tally.source, tally.destination);
    let daily = pair.days.get(tally.day);
    if (!daily) pair.days.set(tally.day, (daily = newTally()));
    for (const t of [pair.total, daily]) {
      t.within += tally.within;
      t.missed += tally.missed;
      if (tally.within + tally.missed > 0 && tally.worstSeconds > t.worst) t.worst = tally.worstSeconds;
    }
  }

  part(): SloPart {
    const pairs: { source: string; destination: string }[] = [];
    const days: { source: string; destination: string; day: string; within: number; missed: number; worstSeconds: number }[] = [];
    for (const { source, destination, days: byDay } of this.byPair.values()) {
      pairs.push({ source, destination });
      for (const [day, t] of byDay) days.push({ source, destination, day, within: t.within, missed: t.missed, worstSeconds: t.worst });
    }
    return { pairs, days };
  }

  /** Tallies of builders fed disjoint sets of versions (same objective and time): as if this one had been fed them. */
  merge(part: SloPart): void {
    for (const { source, destination } of part.pairs) this.addPair(source, destination);
    for (const day of part.days) this.addDay(day);
  }

  private tally(pair: { total: Tally; days: Map<string, Tally> }, sample: SloSample): void {
    const day = utcDay(sample.sourceAt);
    let daily = pair.days.get(day);
    if (!daily) pair.days.set(day, (daily = newTally()));
    const within = sample.arrived && sample.seconds <= this.objectiveSeconds;
    for (const t of [pair.total, daily]) {
      if (within) t.within++;
      else t.missed++;
      if (sample.seconds > t.worst) t.worst = sample.seconds;
    }
  }

  build(): SloReport {
    const pairs = [...this.byPair.values()].sort(bySourceThenDestination).map(({ source, destination, total, days }) => ({
      source,
      destination,
      ...figures(total),
      days: [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([day, t]) => ({ day, ...figures(t) })),
    }));
    return { objectiveSeconds: this.objectiveSeconds, pairs };
  }
}
