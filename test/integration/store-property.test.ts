/**
 * Property: for any stream of events, shuffled, duplicated and applied concurrently, the DynamoDB conditional
 * writes (against dynalite) leave exactly the records the core's in-memory `applyChange` fold gives.
 */
import fc from 'fast-check';
import { changeFor, type S3ChangeEvent, type SlotChange } from '../../lambda/core';
import { dropTable, foldChanges, freshTable, readAll, startHarness, storeFor, tableOf, type Harness } from '../support/pipeline';

const T0 = Date.parse('2026-11-20T10:00:00Z');
let h: Harness;
let table: string;
let run = 0;

beforeAll(async () => {
  h = await startHarness();
  table = await freshTable(h);
});
afterAll(async () => {
  await dropTable(h, table);
  await h?.stop();
});

const bucket = fc.constantFrom('src-a', 'dst-b', 'dst-c');
const key = fc.constantFrom('k one', 'k+two', 'ü/3');
const versionId = fc.constantFrom('v1', 'v2');
// Few distinct times, so that equal `at` with different `tie` is common.
const at = fc.integer({ min: 0, max: 3 }).map((s) => T0 + s * 1000);

const write: fc.Arbitrary<S3ChangeEvent> = fc
  .record({
    type: fc.constant('write' as const),
    bucket,
    key,
    versionId,
    at,
    operation: fc.constantFrom('PutObject' as const, 'CopyObject' as const, 'CompleteMultipartUpload' as const),
    bytes: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    byReplication: fc.boolean(),
  })
  .map(({ bytes, ...rest }) => (bytes === undefined ? rest : { ...rest, bytes }));

const notice: fc.Arbitrary<S3ChangeEvent> = fc.record({
  type: fc.constant('replication' as const),
  notice: fc.constantFrom(
    'OperationFailedReplication' as const,
    'OperationMissedThreshold' as const,
    'OperationReplicatedAfterThreshold' as const,
  ),
  bucket: fc.constant('src-a'),
  key,
  versionId,
  destination: fc.constantFrom('dst-b', 'dst-c'),
  at,
  failureReason: fc.constantFrom('DstPutObjectNotPermitted', 'DstKmsKeyNotFound'),
});

const check: fc.Arbitrary<S3ChangeEvent> = fc.record({
  type: fc.constant('check' as const),
  bucket: fc.constant('src-a'),
  key,
  versionId,
  at,
  status: fc.constantFrom('PENDING' as const, 'COMPLETED' as const, 'FAILED' as const),
});

test('DynamoDB conditional writes == core applyChange, for shuffled and duplicated streams applied concurrently', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(write, notice, check), { minLength: 1, maxLength: 25 }),
      fc.array(fc.nat(), { maxLength: 15 }),
      fc.integer({ min: 1, max: 8 }),
      async (events, duplicates, parallelism) => {
        // Each run writes its own keys, so runs share one table without seeing each other.
        const prefix = `run${++run}/`;
        const changes = events.map((e) => changeFor({ ...e, key: prefix + e.key })).filter((c): c is SlotChange => c !== undefined);
        // Duplicate some changes, then shuffle deterministically from the generated numbers.
        const stream = [...changes, ...duplicates.filter(() => changes.length > 0).map((n) => changes[n % changes.length])];
        for (let i = stream.length - 1; i > 0; i--) {
          const j = (duplicates[i % Math.max(1, duplicates.length)] ?? i) % (i + 1);
          [stream[i], stream[j]] = [stream[j], stream[i]];
        }
        const store = storeFor(h, table);
        for (let i = 0; i < stream.length; i += parallelism) {
          await Promise.all(stream.slice(i, i + parallelism).map((c) => store.apply(c)));
        }
        const stored = new Map(
          [...(await readAll(tableOf(h, table)))].filter(([id]) => id.startsWith(prefix)).map(([id, s]) => [id, s.record]),
        );
        expect(stored).toEqual(foldChanges(changes));
      },
    ),
    { numRuns: 60 },
  );
});
