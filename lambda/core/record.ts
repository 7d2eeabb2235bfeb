import { failureClassOf, OBJECT_PUT_OPERATION } from './failures';
import {
  WRITER_UNKNOWN,
  type S3ChangeEvent,
  type SlotChange,
  type SlotOrder,
  type SlotValue,
  type VersionRecord,
  type WriterKind,
} from './types';

/**
 * Slot names. Bucket names cannot contain ':' or '>', so these never collide.
 * - `w:<bucket>`            earliest write of the version to that bucket
 * - `f:<source>><dest|*>`   latest replication failure notice for that pair (`*`: destination unknown) of the classes
 *                           data, deleteMarker and sourceDeleted (lambda/core/failures.ts)
 * - `m:<source>><dest|*>`   latest failure notice of the class metadata for that pair. A slot of its own so that a
 *                           metadata failure is never replaced by a notice of another class: whether a pair had one
 *                           is then a fact that only ever becomes true, and is counted once whatever the order.
 * - `c:<bucket>`            latest HeadObject answer for the version in that bucket (source or destination)
 */
/** The prefix of each kind of slot, for the hot paths that test a name without parsing it. */
export const SLOT_PREFIX = { write: 'w:', failure: 'f:', metadataFailure: 'm:', check: 'c:' } as const;
export const ANY_DESTINATION = '*';
export const writeSlot = (bucket: string): string => SLOT_PREFIX.write + bucket;
export const failureSlot = (source: string, destination?: string): string =>
  `${SLOT_PREFIX.failure}${source}>${destination ?? ANY_DESTINATION}`;
export const metadataFailureSlot = (source: string, destination?: string): string =>
  `${SLOT_PREFIX.metadataFailure}${source}>${destination ?? ANY_DESTINATION}`;
export const checkSlot = (bucket: string): string => SLOT_PREFIX.check + bucket;

export type SlotKind = 'write' | 'failure' | 'check';

/**
 * Splits a slot name into its kind and buckets; undefined for names this model does not own. Both failure slots
 * (`f:`, `m:`) are of kind `failure` (what the table's due marks and the pair inference need); `metadata` tells them apart.
 */
export function parseSlotName(slot: string): { kind: SlotKind; bucket: string; destination?: string; metadata?: true } | undefined {
  const body = slot.slice(2);
  switch (slot.slice(0, 2)) {
    case 'w:':
      return { kind: 'write', bucket: body };
    case 'c:':
      return { kind: 'check', bucket: body };
    case 'f:':
    case 'm:': {
      const cut = body.indexOf('>');
      if (cut < 0) return undefined;
      const parsed = { kind: 'failure' as const, bucket: body.slice(0, cut), destination: body.slice(cut + 1) };
      return slot.startsWith('m:') ? { ...parsed, metadata: true } : parsed;
    }
    default:
      return undefined;
  }
}

/**
 * The one slot change an event makes. Writes without a version ID cannot be placed (the caller must
 * resolve the version first, e.g. with HeadObject) and give undefined; so do notices that carry no
 * replication state (`OperationNotTracked`).
 */
export function changeFor(event: S3ChangeEvent): SlotChange | undefined {
  switch (event.type) {
    case 'write': {
      if (!event.versionId) return undefined;
      // The tie orders a firm writer before an unknown one ('0|' < '1|' < '2|'): when two intakes deliver the same
      // write (a CloudTrail event and an EventBridge one), the slot keeps the one that says who wrote it.
      const writer: WriterKind = event.byReplication ? 1 : event.writerUnknown ? WRITER_UNKNOWN : 0;
      const value: { -readonly [K in keyof SlotValue]: SlotValue[K] } = {
        at: event.at,
        tie: writer + '|' + event.operation + '|' + (event.bytes ?? ''),
        what: event.operation,
        byReplication: writer,
      };
      if (event.bytes !== undefined) value.bytes = event.bytes;
      return { key: event.key, versionId: event.versionId, slot: writeSlot(event.bucket), keep: 'earliest', value };
    }
    case 'replication':
      return noticeChange(event);
    case 'check':
      return {
        key: event.key,
        versionId: event.versionId,
        slot: checkSlot(event.bucket),
        keep: 'latest',
        value: { at: event.at, tie: event.status, what: event.status },
      };
  }
}

function noticeChange(event: Extract<S3ChangeEvent, { type: 'replication' }>): SlotChange | undefined {
  const base = { key: event.key, versionId: event.versionId };
  const sized = event.bytes !== undefined ? { bytes: event.bytes } : {};
  switch (event.notice) {
    case 'OperationFailedReplication': {
      const reason = event.failureReason ?? 'Unknown';
      const operation = event.s3Operation;
      const value: SlotValue = {
        at: event.at,
        // Two notices of one time and reason about different operations are different observations.
        tie: operation !== undefined && operation !== OBJECT_PUT_OPERATION ? `${reason}|${operation}` : reason,
        what: reason,
        ...sized,
        ...(event.requestedAt !== undefined ? { requestedAt: event.requestedAt } : {}),
      };
      const slot =
        failureClassOf(reason, operation) === 'metadata'
          ? metadataFailureSlot(event.bucket, event.destination)
          : failureSlot(event.bucket, event.destination);
      return { ...base, slot, keep: 'latest', value };
    }
    case 'OperationMissedThreshold':
      // Proof that the source version exists and asked for replication at requestTime.
      return {
        ...base,
        slot: writeSlot(event.bucket),
        keep: 'earliest',
        value: {
          at: event.requestedAt ?? event.at,
          tie: `0|MissedThreshold|${event.bytes ?? ''}`,
          what: 'MissedThreshold',
          byReplication: 0,
          ...sized,
        },
      };
    case 'OperationReplicatedAfterThreshold':
      // The replica exists (late). Without a destination we cannot say where, so it changes nothing.
      if (!event.destination) return undefined;
      return {
        ...base,
        slot: writeSlot(event.destination),
        keep: 'earliest',
        value: {
          at: event.at,
          tie: `1|ReplicatedAfterThreshold|${event.bytes ?? ''}`,
          what: 'ReplicatedAfterThreshold',
          byReplication: 1,
          ...sized,
        },
      };
    case 'OperationNotTracked':
      return undefined;
  }
}

/** Whether `incoming` replaces `existing` in a slot kept by `keep`. Equal values never replace (idempotence). */
export function supersedes(incoming: SlotValue, existing: SlotValue | undefined, keep: SlotOrder): boolean {
  if (!existing) return true;
  if (incoming.at !== existing.at) return keep === 'earliest' ? incoming.at < existing.at : incoming.at > existing.at;
  if (incoming.tie === existing.tie) return false;
  return keep === 'earliest' ? incoming.tie < existing.tie : incoming.tie > existing.tie;
}

/**
 * Applies one change to a record (or creates it). Returns the same record object when nothing changed.
 * This is exactly the conditional write the DynamoDB adapter performs:
 * `SET #slot = :value` if `attribute_not_exists(#slot) OR <supersedes>`.
 */
export function applyChange(record: VersionRecord | undefined, change: SlotChange): VersionRecord {
  const current = record ?? { key: change.key, versionId: change.versionId, slots: {} };
  if (!supersedes(change.value, current.slots[change.slot], change.keep)) return current;
  return { key: current.key, versionId: current.versionId, slots: { ...current.slots, [change.slot]: change.value } };
}

/** Mutating variant for bulk in-memory replay (analyze): same rule, no copy. Returns whether the slot changed. */
export function applyChangeInPlace(record: { slots: Record<string, SlotValue> }, change: SlotChange): boolean {
  if (!supersedes(change.value, record.slots[change.slot], change.keep)) return false;
  record.slots[change.slot] = change.value;
  return true;
}
