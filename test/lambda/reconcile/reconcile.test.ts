/**
 * The reconcile handler (lambda/reconcile) over its real adapters — S3InventoryStore and the Athena engine — with the
 * S3 and Athena clients mocked (aws-sdk-client-mock): which events it refuses, what it reads, which queries it runs,
 * what it publishes and writes; and its EMF lines.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareReconcile, snapshotOf } from '../../../engines/reconcile/athena';
import type { PairCounts } from '../../../engines/reconcile/query';
import { S3InventoryStore } from '../../../lambda/adapters/inventory-store';
import { EmfReconcileMetrics } from '../../../lambda/reconcile/emf-metrics';
import { createReconcileHandler, type ObjectCreatedEvent } from '../../../lambda/reconcile/reconcile';
import { memoryLogger } from '../../support/memory-logger';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'reconcile-athena');
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

const settings = {
  inventoryBucket: 'inventories',
  inventoryPrefix: 'inv/',
  outputPrefix: 'crr-monitor/reconcile/',
  workgroup: 'crr-monitor-reconcile',
  database: 'crr_monitor_reconcile',
};
const PAIRS = [
  { source: 'photos-a', destination: 'photos-b' },
  { source: 'photos-a', destination: 'photos-c' },
  { source: 'photos-b', destination: 'photos-a' },
];
const manifestOf = (bucket: string, format: 'csv' | 'parquet', stamp = '2026-11-20T12-00Z') => ({
  key: `inv/${bucket}/all-versions/${stamp}/manifest.json`,
  body: { ...fixture(`manifest-${format}.json`), sourceBucket: bucket },
});

/** S3's EventBridge event for a new object in the inventory bucket (User Guide, "EventBridge event message structure"). */
const objectCreated = (key: string, change: Record<string, unknown> = {}): ObjectCreatedEvent =>
  ({
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '222222222222',
    time: '2026-11-20T12:41:05Z',
    region: 'us-east-1',
    resources: ['arn:aws:s3:::inventories'],
    detail: {
      version: '0',
      bucket: { name: 'inventories' },
      object: { key, size: 1024, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: 's3.amazonaws.com',
      'source-ip-address': '203.0.113.15',
      reason: 'PutObject',
    },
    ...change,
  }) as ObjectCreatedEvent;

const s3 = mockClient(S3Client);
const athena = mockClient(AthenaClient);

/** The inventory bucket: manifests by key, symlinks present for the keys in `symlinks`. */
function inventoryBucket(manifests: { key: string; body: unknown }[], symlinks: string[]) {
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const m = manifests.find((x) => x.key === input.Key);
    if (!m) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => JSON.stringify(m.body) } };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; Delimiter?: string }) => {
    const keys = [...manifests.map((m) => m.key), ...symlinks];
    if (!input.Delimiter) return { Contents: keys.filter((k) => k.startsWith(input.Prefix)).map((Key) => ({ Key })) };
    const folders = new Set(
      keys.filter((k) => k.startsWith(input.Prefix)).map((k) => input.Prefix + k.slice(input.Prefix.length).split('/')[0] + '/'),
    );
    return { CommonPrefixes: [...folders].filter((f) => !keys.includes(f.slice(0, -1))).map((Prefix) => ({ Prefix })) };
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
}

const page = (names: string[], rows: string[][]): GetQueryResultsOutput => ({
  ResultSet: {
    ResultSetMetadata: { ColumnInfo: names.map((Name) => ({ Name, Type: 'varchar' })) },
    Rows: [names, ...rows].map((r) => ({ Data: r.map((VarCharValue) => ({ VarCharValue })) })),
  },
});

/** Athena: DDL succeeds; the count query and the manifest query answer what `counts` and `manifest` say. */
function athenaAnswers(counts: string[][], manifest: string[][]) {
  const queries = new Map<string, string>();
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    const id = `q${queries.size + 1}`;
    queries.set(id, input.QueryString);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId: string }) => {
    const sql = queries.get(input.QueryExecutionId) ?? '';
    if (sql.includes('AS "bucket", "key", version_id')) return page(['bucket', 'key', 'version_id'], manifest);
    if (sql.includes('AS "bucket", COUNT(*) AS n'))
      return page(
        ['bucket', 'n'],
        [...sql.matchAll(/SELECT '([^']+)' AS "bucket"/g)].map((m, i) => [m[1], String(100 + i)]),
      );
    return page(['source', 'destination', 'category', 'n'], counts);
  });
  return queries;
}

function handler(published: PairCounts[][] = [], logger = memoryLogger(), pairs = PAIRS) {
  return createReconcileHandler({
    settings,
    pairs,
    overdueMillis: 15 * 60_000,
    store: new S3InventoryStore(new S3Client({ region: 'us-east-1' })),
    engine: {
      prepare: (request) =>
        prepareReconcile({
          ...request,
          target: {
            client: new AthenaClient({ region: 'us-east-1' }),
            workgroup: settings.workgroup,
            database: settings.database,
            outputLocation: 's3://inventories/crr-monitor/reconcile/athena/',
            sleep: async () => undefined,
          },
        }),
    },
    snapshotOf,
    metrics: { publish: (c) => void published.push([...c]) },
    logger,
  });
}

beforeEach(() => {
  s3.reset();
  athena.reset();
});

const A = manifestOf('photos-a', 'csv');
const B = manifestOf('photos-b', 'parquet');
const C = manifestOf('photos-c', 'csv');
const symlink = (bucket: string) => `inv/${bucket}/all-versions/hive/dt=2026-11-20-12-00/symlink.txt`;

describe('the reconcile handler', () => {
  it("reconciles every pair of the arriving bucket against the other side's newest inventory, publishes, writes", async () => {
    const older = manifestOf('photos-b', 'parquet', '2026-11-19T12-00Z');
    inventoryBucket([A, B, C, { key: older.key, body: { ...older.body, creationTimestamp: '1795089600000' } }], [symlink('photos-a')]);
    const queries = athenaAnswers(
      [
        ['photos-a', 'photos-b', 'replicated', '10'],
        ['photos-a', 'photos-b', 'failed', '2'],
        ['photos-a', 'photos-b', 'overdue', '1'],
        ['photos-a', 'photos-b', 'completedButMissing', '1'],
        ['photos-a', 'photos-b', 'sizeMismatch', '3'],
        ['photos-a', 'photos-b', 'orphanReplicas', '4'],
        ['photos-a', 'photos-c', 'replicated', '17'],
        ['photos-a', 'photos-c', 'notReplicated', '5'],
        ['photos-b', 'photos-a', 'replicated', '6'],
      ],
      [
        ['photos-a', 'fail one.txt', 'v1'],
        ['photos-a', 'gone/é', 'v2'],
        ['photos-a', 'stuck', 'null'],
        ['photos-a', 'x,y', 'v4'],
      ],
    );
    const published: PairCounts[][] = [];
    const outcome = await handler(published)(objectCreated(A.key));

    expect(outcome).toMatchObject({ status: 'reconciled', bucket: 'photos-a', waiting: [] });
    // Three tables (a, b's newest, c), one count query, one manifest query for the only pair with versions to redrive.
    const sql = [...queries.values()];
    expect(sql.filter((q) => q.startsWith('CREATE EXTERNAL TABLE'))).toHaveLength(3);
    expect(sql.filter((q) => q.startsWith('CREATE EXTERNAL TABLE')).join('\n')).toContain(
      "LOCATION 's3://inventories/inv/photos-b/all-versions/hive/'",
    );
    expect(sql.some((q) => q.includes("WHERE dt = '2026-11-19-12-00'"))).toBe(false); // not the older snapshot of b
    expect(sql.filter((q) => q.includes('AS "bucket", "key", version_id'))).toHaveLength(1);
    for (const call of athena.commandCalls(StartQueryExecutionCommand)) {
      expect(call.args[0].input).toMatchObject({
        WorkGroup: 'crr-monitor-reconcile',
        QueryExecutionContext: { Database: 'crr_monitor_reconcile' },
        ResultConfiguration: { OutputLocation: 's3://inventories/crr-monitor/reconcile/athena/' },
      });
    }

    expect(published).toHaveLength(1);
    expect(published[0].map((c) => [c.source, c.destination, c.failed + c.overdue + c.completedButMissing, c.sizeMismatch])).toEqual([
      ['photos-a', 'photos-b', 4, 3],
      ['photos-a', 'photos-c', 0, 0],
      ['photos-b', 'photos-a', 0, 0],
    ]);

    const puts = Object.fromEntries(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input]));
    const runs = 'crr-monitor/reconcile/runs/photos-a/2026-11-20T12-00Z/';
    expect(Object.keys(puts).sort()).toEqual([`${runs}photos-a--photos-b.manifest.csv`, `${runs}reconcile.json`]);
    expect(puts[`${runs}photos-a--photos-b.manifest.csv`]).toMatchObject({ Bucket: 'inventories', ContentType: 'text/csv' });
    expect(String(puts[`${runs}photos-a--photos-b.manifest.csv`].Body)).toBe(
      'photos-a,fail%20one.txt,v1\nphotos-a,gone%2F%C3%A9,v2\nphotos-a,stuck,null\nphotos-a,x%2Cy,v4\n',
    );
    const report = JSON.parse(puts[`${runs}reconcile.json`].Body as string);
    expect(report.pairs[0]).toMatchObject({ source: 'photos-a', destination: 'photos-b', sourceVersions: 17, orphanReplicas: 4 });
    expect(report.inventories).toEqual([
      { bucket: 'photos-a', createdAt: '2026-11-20T12:00:00.000Z', format: 'CSV', files: 1, rows: 100 },
      { bucket: 'photos-b', createdAt: '2026-11-20T12:00:00.000Z', format: 'Parquet', files: 1, rows: 101 },
      { bucket: 'photos-c', createdAt: '2026-11-20T12:00:00.000Z', format: 'CSV', files: 1, rows: 102 },
    ]);
    expect(report.manifests).toEqual([`${runs}photos-a--photos-b.manifest.csv`]);
  });

  it.each([
    [
      'another source (only AWS sends aws.*)',
      objectCreated('inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json', { source: 'my.app' }),
    ],
    [
      'another detail-type',
      objectCreated('inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json', { 'detail-type': 'Object Deleted' }),
    ],
    [
      'another bucket',
      objectCreated('inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json', {
        detail: { bucket: { name: 'elsewhere' }, object: { key: 'inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json' } },
      }),
    ],
    ['an unconfigured bucket', objectCreated('inv/strangers/all-versions/2026-11-20T12-00Z/manifest.json')],
    ['a key outside the prefix', objectCreated('photos-a/all-versions/2026-11-20T12-00Z/manifest.json')],
    ['a data file', objectCreated('inv/photos-a/all-versions/data/part-0.csv.gz')],
  ])('refuses %s without reading or querying anything', async (_what, event) => {
    const logger = memoryLogger();
    const outcome = await handler([], logger)(event);
    expect(outcome.status).toBe('skipped');
    expect(s3.calls()).toHaveLength(0);
    expect(athena.calls()).toHaveLength(0);
    expect(logger.entries.some((e) => e.message === 'reconcile: event refused')).toBe(true);
  });

  it('reads a key as S3 event notifications encode it too (+ for a space)', async () => {
    const spaced = { ...manifestOf('photos-a', 'csv'), key: 'inv/photos-a/all versions/2026-11-20T12-00Z/manifest.json' };
    inventoryBucket([spaced, B, C], ['inv/photos-a/all versions/hive/dt=2026-11-20-12-00/symlink.txt']);
    athenaAnswers([], []);
    const outcome = await handler()(objectCreated('inv/photos-a/all+versions/2026-11-20T12-00Z/manifest.json'));
    expect(outcome.status).toBe('reconciled');
    // The key as it came first (it could hold a literal +), then decoded.
    expect(
      s3
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input.Key)
        .slice(0, 2),
    ).toEqual(['inv/photos-a/all+versions/2026-11-20T12-00Z/manifest.json', spaced.key]);
  });

  it('fails (for the retry) while the snapshot has no Hive symlink yet, before any query', async () => {
    inventoryBucket([A, B, C], []);
    await expect(handler()(objectCreated(A.key))).rejects.toThrow(
      's3://inventories/inv/photos-a/all-versions/hive/dt=2026-11-20-12-00/symlink.txt is not there yet',
    );
    expect(athena.calls()).toHaveLength(0);
  });

  it('reconciles the pairs it can and reports the others waiting: no inventory yet, or one reconcile cannot read', async () => {
    const orc = manifestOf('photos-c', 'csv');
    inventoryBucket([A, { key: orc.key, body: { ...orc.body, fileFormat: 'ORC' } }], [symlink('photos-a')]);
    athenaAnswers([], []);
    const logger = memoryLogger();
    const outcome = await handler([], logger)(objectCreated(A.key));
    if (outcome.status !== 'reconciled') throw new Error('not reconciled');
    expect(outcome.pairs).toEqual([]);
    expect(outcome.waiting.map((w) => [w.source, w.destination])).toEqual([
      ['photos-a', 'photos-b'],
      ['photos-a', 'photos-c'],
      ['photos-b', 'photos-a'],
    ]);
    expect(outcome.waiting[0].reason).toBe('no inventory of photos-b in s3://inventories/inv/photos-b/');
    expect(outcome.waiting[1].reason).toContain('ORC inventory reports are not read by reconcile');
    expect(athena.calls()).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('counts a pair with every source of its destination, and waits while one of them has no inventory', async () => {
    // x → d and y → d: d's versions from y are no orphans of x → d, so x → d needs y's inventory too.
    const pairs = [
      { source: 'photos-x', destination: 'photos-d' },
      { source: 'photos-y', destination: 'photos-d' },
    ];
    const X = manifestOf('photos-x', 'csv');
    const D = manifestOf('photos-d', 'parquet');
    inventoryBucket([X, D], [symlink('photos-x')]);
    athenaAnswers([], []);
    const first = await handler([], memoryLogger(), pairs)(objectCreated(X.key));
    expect(first).toMatchObject({
      status: 'reconciled',
      pairs: [],
      waiting: [{ source: 'photos-x', destination: 'photos-d', reason: expect.stringContaining('waits for the inventory of photos-y') }],
    });
    expect(athena.calls()).toHaveLength(0);

    s3.reset();
    athena.reset();
    inventoryBucket([X, D, manifestOf('photos-y', 'csv')], [symlink('photos-x')]);
    const queries = athenaAnswers(
      [
        ['photos-x', 'photos-d', 'replicated', '3'],
        ['photos-y', 'photos-d', 'replicated', '4'],
      ],
      [],
    );
    const published: PairCounts[][] = [];
    const second = await handler(published, memoryLogger(), pairs)(objectCreated(X.key));
    // The query knows y → d (for d's orphans), but only x → d — the arriving bucket's pair — is published.
    const count = [...queries.values()].find((q) => q.includes('AS category'))!;
    expect(count).toContain("'photos-y' AS source");
    expect(second).toMatchObject({ status: 'reconciled', waiting: [] });
    expect(published).toEqual([[expect.objectContaining({ source: 'photos-x', destination: 'photos-d', replicated: 3 })]]);
  });

  it('refuses, naming it, a manifest reconcile cannot read', async () => {
    inventoryBucket([{ key: A.key, body: { ...A.body, fileSchema: 'Bucket, Key, Size' } }], [symlink('photos-a')]);
    await expect(handler()(objectCreated(A.key))).rejects.toThrow(
      's3://inventories/inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json: the inventory lacks version_id',
    );
  });
});

describe('EmfReconcileMetrics', () => {
  it('publishes the four reconcile metrics per pair in CRRMonitor, with exactly the alarm dimensions', () => {
    const lines: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (lines.push(String(chunk)), true)),
      jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    ];
    const counts = {
      source: 's',
      destination: 'd',
      sourceVersions: 30,
      replicated: 10,
      sizeMismatch: 3,
      failed: 2,
      pending: 1,
      overdue: 4,
      notReplicated: 7,
      completedButMissing: 3,
      orphanReplicas: 5,
      destinationOnly: 6,
      deleteMarkers: { source: 0, replicated: 0, missing: 0 },
    };
    try {
      new EmfReconcileMetrics('CRRMonitor').publish([counts]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const docs = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('_aws'))
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    const def = docs[0]._aws.CloudWatchMetrics[0];
    expect(def.Namespace).toBe('CRRMonitor');
    expect(def.Dimensions).toEqual([['SourceBucket', 'DestBucket']]);
    expect(docs[0]).toMatchObject({
      SourceBucket: 's',
      DestBucket: 'd',
      MissingReplicas: 9,
      ReplicaSizeMismatches: 3,
      OrphanReplicaVersions: 5,
      UnreplicatedVersions: 7,
    });
  });
});
