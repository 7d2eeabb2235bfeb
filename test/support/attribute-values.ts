/**
 * Slots in DynamoDB JSON, the wire form: what a DynamoDB Streams image and a ConditionalCheckFailedException's `Item`
 * carry, and what tests put with client-dynamodb's PutItem to set up a table as the drain would have left it.
 * test/lambda/adapters/dynamodb.test.ts checks on dynalite that lib-dynamodb reads these back as `slotToAttribute` writes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SlotValue } from '../../lambda/core';

export function marshalledSlot(value: SlotValue): AttributeValue {
  const map: Record<string, AttributeValue> = { at: { N: String(value.at) }, tie: { S: value.tie }, what: { S: value.what } };
  if (value.bytes !== undefined) map.bytes = { N: String(value.bytes) };
  if (value.requestedAt !== undefined) map.requestedAt = { N: String(value.requestedAt) };
  if (value.byReplication !== undefined) map.byReplication = { N: String(value.byReplication) };
  return { M: map };
}
