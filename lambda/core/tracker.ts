import { applyChangeInPlace, changeFor, SLOT_PREFIX } from './record';
import type { S3ChangeEvent, SlotChange, SlotValue, VersionRecord } from './types';

/** Why an event could not be placed in a record (it is still counted). */
export type Unplaced = 'missing-version-id' | 'no-replication-state';

/**
 * In-memory store of version records, for replaying events offline. It keeps the merged records
 * only, never the events: memory grows with object versions, not with the event count.
 */
interface TrackedRecord {
  readonly key: string;
  readonly versionId: string;
  readonly slots: Record<string, SlotValue>;
  /** Another key with the same version ID (IDs are random per write, so this chain is almost always empty). */
  next?: TrackedRecord;
}

export class VersionTracker {
  // Keyed by version ID alone: hashing a fresh `versionId + key` string per event cost more than the merge.
  private readonly byVersion = new Map<string, TrackedRecord>();
  private count = 0;

  /** Applies one event; returns why it could not be placed, or undefined when it was (or was a duplicate). */
  apply(event: S3ChangeEvent): Unplaced | undefined {
    const change = changeFor(event);
    if (!change) return event.type === 'write' ? 'missing-version-id' : 'no-replication-state';
    this.applyChange(change);
    return undefined;
  }

  /** Applies one slot change (the multi-threaded replay routes changes, not events, to the tracker that owns them). */
  applyChange(change: SlotChange): void {
    const first = this.byVersion.get(change.versionId);
    let record = first;
    while (record && record.key !== change.key) record = record.next;
    if (!record) {
      record = { key: change.key, versionId: change.versionId, slots: {}, next: first };
      this.byVersion.set(change.versionId, record);
      this.count++;
    }
    applyChangeInPlace(record, change);
  }

  get size(): number {
    return this.count;
  }

  *records(): IterableIterator<VersionRecord> {
    for (const first of this.byVersion.values()) {
      for (let record: TrackedRecord | undefined = first; record; record = record.next) yield record;
    }
  }
}

/**
 * The latest event time the stored records carry: the default evaluation time. It is derived from
 * the merged records, so the offline replay and the DynamoDB-backed pipeline agree on it. HeadObject
 * checks are left out: their time is the checker's clock, not an event's.
 */
export function latestTime(records: Iterable<VersionRecord>): number | undefined {
  let latest: number | undefined;
  for (const record of records) {
    for (const [name, slot] of Object.entries(record.slots)) {
      if (name.startsWith(SLOT_PREFIX.check)) continue;
      if (latest === undefined || slot.at > latest) latest = slot.at;
    }
  }
  return latest;
}
