/**
 * `status`'s live report: the versions of the window read through the table's indexes (never a Scan) and evaluated
 * by the same core as `analyze`, so the JSON is analyze's schema, plus per pair the backlog: how many versions are
 * pending (overdue included), the oldest, p50 and p90 pending age, and the bytes they hold.
 *
 * What is read: per shard, `due` entries with dueAt in (since + overdue, at + overdue + slack] (every version whose
 * source write falls in [since, at]) and every `attention` entry (failed and overdue versions, whatever their age);
 * the union, each key once, by BatchGetItem in chunks of 100.
 */
import type { TableReader, VersionKey } from '../../lambda/adapters/table-reader';
import { MAX_KEYS_PER_BATCH_GET } from '../../lambda/adapters/table-reader';
import {
  evaluateRecord,
  indexPairs,
  nearestRank,
  ReportBuilder,
  type PairState,
  type ReplicationPair,
  type ReplicationReport,
  type ReportDetail,
} from '../../lambda/core';
import { bySourceThenDestination } from '../../lambda/core/statistics';
import { SHARDS } from '../../lambda/shared/contract';

/** The drain sets dueAt to at least its own clock + 60 s; a little more covers clock skew between it and us. */
const DUE_SLACK_MILLIS = 5 * 60_000;

interface Backlog {
  source: string;
  destination: string;
  pending: number;
  oldestPendingSeconds: number | null;
  pendingAgeSeconds: { p50: number | null; p90: number | null };
  pendingBytes: number;
}

export interface LiveReport extends ReplicationReport {
  backlog: Backlog[];
  /** What the report cost: index entries and records read. */
  read: { dueEntries: number; attentionEntries: number; records: number };
}

export interface LiveReportOptions {
  readonly pairs: readonly ReplicationPair[];
  readonly at: number;
  /** Source writes from this time on (epoch ms). */
  readonly since: number;
  readonly overdueMillis: number;
  /** The recovery point objective of the `slo` section. */
  readonly sloMillis: number;
}

class BacklogBuilder {
  private readonly byPair = new Map<string, { source: string; destination: string; ages: number[]; bytes: number }>();

  add(state: PairState): void {
    if (state.state !== 'PENDING' && state.state !== 'OVERDUE') return;
    const id = `${state.source}>${state.destination}`;
    let acc = this.byPair.get(id);
    if (!acc) this.byPair.set(id, (acc = { source: state.source, destination: state.destination, ages: [], bytes: 0 }));
    acc.ages.push(state.pendingSeconds ?? 0);
    acc.bytes += state.bytes;
  }

  /** One row per pair of `pairs` (zeros when nothing is pending) and per other pair seen. */
  build(pairs: readonly ReplicationPair[]): Backlog[] {
    for (const p of pairs) {
      const id = `${p.source}>${p.destination}`;
      if (!this.byPair.has(id)) this.byPair.set(id, { source: p.source, destination: p.destination, ages: [], bytes: 0 });
    }
    return [...this.byPair.values()].sort(bySourceThenDestination).map(({ source, destination, ages, bytes }) => {
      const sorted = Array.from(Float64Array.from(ages).sort());
      return {
        source,
        destination,
        pending: sorted.length,
        oldestPendingSeconds: sorted.length ? sorted[sorted.length - 1] : null,
        pendingAgeSeconds: { p50: nearestRank(sorted, 0.5), p90: nearestRank(sorted, 0.9) },
        pendingBytes: bytes,
      };
    });
  }
}

export async function liveReport(
  reader: Pick<TableReader, 'due' | 'attention' | 'get'>,
  options: LiveReportOptions,
): Promise<{ report: LiveReport; detail: ReportDetail }> {
  const pairs = indexPairs(options.pairs);
  const builder = new ReportBuilder({ at: options.at, objectiveSeconds: options.sloMillis / 1000 });
  const backlog = new BacklogBuilder();
  const read = { dueEntries: 0, attentionEntries: 0, records: 0 };
  const seen = new Set<string>();
  let batch: VersionKey[] = [];
  const flush = async () => {
    const records = await reader.get(batch);
    batch = [];
    read.records += records.length;
    for (const { record } of records) {
      for (const state of evaluateRecord(record, pairs, { at: options.at, overdueMillis: options.overdueMillis })) {
        builder.add(state);
        backlog.add(state);
      }
    }
  };
  const take = async (key: VersionKey) => {
    const id = `${key.key}\u0000${key.versionId}`;
    if (seen.has(id)) return;
    seen.add(id);
    batch.push({ key: key.key, versionId: key.versionId });
    if (batch.length === MAX_KEYS_PER_BATCH_GET) await flush();
  };
  const after = options.since + options.overdueMillis - 1;
  const through = options.at + options.overdueMillis + DUE_SLACK_MILLIS;
  for (let shard = 0; shard < SHARDS; shard++) {
    for await (const entry of reader.due(String(shard), after, through)) {
      read.dueEntries++;
      await take(entry);
    }
    for await (const entry of reader.attention(String(shard))) {
      read.attentionEntries++;
      await take(entry);
    }
  }
  if (batch.length > 0) await flush();
  const { report, detail } = builder.build({ rejected: 0, ignored: 0 });
  return { report: { ...report, backlog: backlog.build(options.pairs), read }, detail };
}
