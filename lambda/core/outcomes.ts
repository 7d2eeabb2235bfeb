/**
 * Outcomes: what one write to a version record decided, so that the function that made the write can publish it
 * at once (issue 9). Given the record as it was before the write and as it is after (the core's `applyChange`),
 * `outcomesOf` compares the pair states `evaluateRecord` derives from each and reports every transition into a
 * final state. It holds no state of its own: a write that changed nothing yields nothing, which is what makes
 * redelivered and duplicated events publish nothing a second time.
 *
 * Pure: no SDK, no clock. The evaluation time is irrelevant here (PENDING and OVERDUE are the same to it), so the
 * states are computed at a fixed time with no overdue threshold.
 */
import { evaluateRecord, originOf, type PairIndex } from './evaluate';
import { checkSlot, writeSlot } from './record';
import type { FailureClass } from './failures';
import type { PairState, VersionRecord } from './types';

/**
 * `completed`, `failed`, `latency`, `untracked` as before issue 15; then, per pair: `metadataFailed` (a completed
 * version's metadata failure), `deleteMarkerFailed` (a delete marker S3 could not replicate), `sourceDeleted` (the
 * source version was deleted before it replicated).
 */
export type OutcomeKind = 'completed' | 'failed' | 'latency' | 'untracked' | 'metadataFailed' | 'deleteMarkerFailed' | 'sourceDeleted';

export interface Outcome {
  readonly kind: OutcomeKind;
  readonly source: string;
  /** Absent for `untracked` (it concerns the source version, not a pair). */
  readonly destination?: string;
  readonly key: string;
  readonly versionId: string;
  /** completed/latency: replica time − source time; null when the completion has no source time (HeadObject proof). */
  readonly latencySeconds: number | null;
  readonly bytes: number;
  /** failed, metadataFailed, deleteMarkerFailed, sourceDeleted: the notice's reason (verbatim) and its class. */
  readonly failureReason?: string;
  readonly failureClass?: FailureClass;
}

const NO_THRESHOLD = { at: 0, overdueMillis: Number.POSITIVE_INFINITY };

function statesByPair(record: VersionRecord | undefined, pairs: PairIndex): Map<string, PairState> {
  const states = new Map<string, PairState>();
  if (!record) return states;
  for (const state of evaluateRecord(record, pairs, NO_THRESHOLD)) states.set(`${state.source}>${state.destination}`, state);
  return states;
}

/** Whether HeadObject on the version's configured origin said no replication rule covers it. */
function untrackedSource(record: VersionRecord | undefined, pairs: PairIndex): string | undefined {
  if (!record) return undefined;
  const origin = originOf(record, pairs);
  if (!origin || !pairs.has(origin.bucket)) return undefined;
  return record.slots[checkSlot(origin.bucket)]?.what === 'NONE' ? origin.bucket : undefined;
}

/**
 * The outcomes of one write: `before` is the record as the table held it (undefined: no item), `after` the record
 * with the write applied. Transitions:
 * - a pair becomes COMPLETED from anything else (nothing, PENDING, OVERDUE, FAILED — a FAILED version that
 *   completes later publishes its completion) → `completed`, with its latency when it has one;
 * - a pair becomes FAILED from anything but COMPLETED → `failed`. (COMPLETED → FAILED is not a transition S3
 *   makes; counting it would count the version twice if it then completed again, so it publishes nothing.)
 * - a pair that was COMPLETED without a latency (replica seen before its source, or proved by HeadObject) gets one
 *   → `latency` (publish only latency and speed: the completion itself was counted);
 * - a completed pair gets a metadata failure (ACL, tags, Object Lock; lambda/core/failures.ts) → `metadataFailed`, once:
 *   metadata notices have a slot of their own (`m:`) that no other notice replaces;
 * - a pair becomes DELETE_MARKER_FAILED → `deleteMarkerFailed`; SOURCE_DELETED from anything but COMPLETED →
 *   `sourceDeleted` (neither is a failed object version);
 * - the origin's check becomes NONE (no rule covers the version) → `untracked`, once per source version.
 *
 * Nothing is published twice along any order of the events: COMPLETED is left only when a HeadObject answer that
 * proved it is replaced by a later one that does not (S3's own state going back: the replica version deleted), since
 * the core ranks every proof of the replica above every failure notice (evaluate.ts). A failure notice after a replica
 * (e.g. a metadata failure) therefore keeps the pair COMPLETED instead of passing through FAILED and completing again.
 */
export function outcomesOf(before: VersionRecord | undefined, after: VersionRecord, pairs: PairIndex): Outcome[] {
  if (before === after) return [];
  const old = statesByPair(before, pairs);
  const outcomes: Outcome[] = [];
  for (const [id, now] of statesByPair(after, pairs)) {
    const was = old.get(id);
    const base = { source: now.source, destination: now.destination, key: now.key, versionId: now.versionId, bytes: now.bytes };
    const failure = { failureReason: now.failureReason ?? 'Unknown', failureClass: now.failureClass ?? ('data' as const) };
    switch (now.state) {
      case 'COMPLETED':
        if (was?.state !== 'COMPLETED') outcomes.push({ kind: 'completed', ...base, latencySeconds: now.latencySeconds });
        else if (was.latencySeconds === null && now.latencySeconds !== null)
          outcomes.push({ kind: 'latency', ...base, latencySeconds: now.latencySeconds });
        if (now.failureClass === 'metadata' && !(was?.state === 'COMPLETED' && was.failureClass === 'metadata'))
          outcomes.push({ kind: 'metadataFailed', ...base, latencySeconds: null, ...failure });
        break;
      case 'FAILED':
        if (was?.state !== 'FAILED' && was?.state !== 'COMPLETED')
          outcomes.push({ kind: 'failed', ...base, latencySeconds: null, ...failure });
        break;
      case 'DELETE_MARKER_FAILED':
        if (was?.state !== 'DELETE_MARKER_FAILED') outcomes.push({ kind: 'deleteMarkerFailed', ...base, latencySeconds: null, ...failure });
        break;
      case 'SOURCE_DELETED':
        if (was?.state !== 'SOURCE_DELETED' && was?.state !== 'COMPLETED')
          outcomes.push({ kind: 'sourceDeleted', ...base, latencySeconds: null, ...failure });
        break;
      default:
        break;
    }
  }
  const untracked = untrackedSource(after, pairs);
  if (untracked && untrackedSource(before, pairs) !== untracked) {
    const bytes = after.slots[writeSlot(untracked)]?.bytes ?? 0;
    outcomes.push({ kind: 'untracked', source: untracked, key: after.key, versionId: after.versionId, latencySeconds: null, bytes });
  }
  return outcomes;
}
