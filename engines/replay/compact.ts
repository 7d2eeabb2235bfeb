/**
 * Slot changes as they cross between replay workers (engines/replay/worker.ts): a flat array of primitives per
 * peer (per change: key, version ID, slot, then the value's at, tie, what, byReplication, bytes and requestedAt,
 * null where absent), sent as one JSON text per task. Objects that repeat every field name per change cost about
 * twice as much to write, send and read; the merge order (`keep`) is not sent: it follows from the slot's kind.
 */
import { SLOT_PREFIX, type SlotChange, type SlotOrder, type SlotValue } from '../../lambda/core';

/** How a slot merges: writes keep the earliest, failures and checks the latest (as `changeFor` makes them). */
export const keepOf = (slot: string): SlotOrder => (slot.startsWith(SLOT_PREFIX.write) ? 'earliest' : 'latest');

export type CompactChanges = (string | number | null)[];

/** Adds one change to `out`. */
export function pushChange(out: CompactChanges, change: SlotChange): void {
  const value = change.value;
  out.push(
    change.key,
    change.versionId,
    change.slot,
    value.at,
    value.tie,
    value.what,
    value.byReplication ?? null,
    value.bytes ?? null,
    value.requestedAt ?? null,
  );
}

/** The changes of `text` (a JSON text of `CompactChanges`), each handed to `apply` as `changeFor` made it. */
export function forEachChange(text: string, apply: (change: SlotChange) => void): void {
  const flat = JSON.parse(text) as CompactChanges;
  for (let i = 0; i + 9 <= flat.length; i += 9) {
    const slot = flat[i + 2] as string;
    // The field order `changeFor` gives a value: at, tie, what, then byReplication, bytes, requestedAt when present.
    const value: { -readonly [K in keyof SlotValue]: SlotValue[K] } = {
      at: flat[i + 3] as number,
      tie: flat[i + 4] as string,
      what: flat[i + 5] as string,
    };
    if (flat[i + 6] !== null) value.byReplication = flat[i + 6] as 0 | 1;
    if (flat[i + 7] !== null) value.bytes = flat[i + 7] as number;
    if (flat[i + 8] !== null) value.requestedAt = flat[i + 8] as number;
    apply({ key: flat[i] as string, versionId: flat[i + 1] as string, slot, keep: keepOf(slot), value });
  }
}
