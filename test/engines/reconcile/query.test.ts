/**
 * The reconcile query on DuckDB, in both its dialects' texts (the Athena form is tested here by running it on DuckDB
 * over the same rows), over small tables with one version of every kind; and countsFromRows' arithmetic.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { countsFromRows, manifestSql, reconcileSql, type CountRow, type Dialect } from '../../../engines/reconcile/query';

interface Row {
  key: string;
  v: string | null;
  dm?: boolean;
  size?: number;
  lm: string;
  st: string | null;
}

const HOUR = 3_600_000;
const T = Date.parse('2026-11-20T12:00:00Z'); // both snapshots
const OVERDUE = 15 * 60_000;

async function table(c: DuckDBConnection, name: string, rows: Row[]): Promise<void> {
  await c.run(
    `CREATE TABLE ${name} ("bucket" VARCHAR, "key" VARCHAR, version_id VARCHAR, is_latest BOOLEAN, is_delete_marker BOOLEAN, size BIGINT, last_modified_date TIMESTAMPTZ, e_tag VARCHAR, replication_status VARCHAR)`,
  );
  const q = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);
  for (const r of rows)
    await c.run(
      `INSERT INTO ${name} VALUES ('b', ${q(r.key)}, ${q(r.v)}, true, ${r.dm ?? false}, ${r.size ?? 1}, TIMESTAMPTZ ${q(r.lm + '+00')}, 'e', ${q(r.st)})`,
    );
}

const OLD = '2026-11-19 00:00:00';
const NEW = '2026-11-20 11:50:00'; // within the overdue window before the snapshots

const A: Row[] = [
  { key: 'ok', v: 'v1', lm: OLD, st: 'COMPLETED', size: 5 },
  { key: 'ok big', v: 'v2', lm: OLD, st: 'COMPLETED', size: 7 },
  { key: 'fail', v: 'v3', lm: OLD, st: 'FAILED' },
  { key: 'fail but there', v: 'v4', lm: OLD, st: 'FAILED', size: 3 },
  { key: 'none', v: 'v5', lm: OLD, st: null },
  { key: 'none2', v: 'v5b', lm: OLD, st: '' },
  { key: 'late', v: 'v6', lm: NEW, st: 'PENDING' },
  { key: 'late done', v: 'v6b', lm: NEW, st: 'COMPLETED' },
  { key: 'stuck', v: 'v7', lm: OLD, st: 'PENDING' },
  { key: 'gone', v: 'v8', lm: OLD, st: 'COMPLETED' },
  { key: 'gone2', v: 'v8b', lm: OLD, st: 'COMPLETE' },
  { key: 'b own', v: 'w1', lm: OLD, st: 'REPLICA' }, // b → a's replica
  { key: 'dm', v: 'm1', dm: true, lm: OLD, st: 'COMPLETED' },
  { key: 'dm lost', v: 'm2', dm: true, lm: OLD, st: null },
  { key: 'null version', v: null, lm: OLD, st: 'COMPLETED', size: 2 },
];
const B: Row[] = [
  { key: 'ok', v: 'v1', lm: OLD, st: 'REPLICA', size: 5 },
  { key: 'ok big', v: 'v2', lm: OLD, st: 'REPLICA', size: 8 },
  { key: 'fail but there', v: 'v4', lm: OLD, st: 'REPLICA', size: 3 },
  { key: 'orphan', v: 'x1', lm: OLD, st: 'REPLICA' },
  { key: 'orphan new', v: 'x2', lm: NEW, st: 'REPLICA' },
  { key: 'b own', v: 'w1', lm: OLD, st: 'COMPLETED' },
  { key: 'b direct', v: 'w2', lm: OLD, st: null },
  { key: 'dm', v: 'm1', dm: true, lm: OLD, st: 'REPLICA' },
  { key: 'null version', v: '', lm: OLD, st: 'REPLICA', size: 2 },
];

async function run(c: DuckDBConnection, sql: string) {
  return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

describe.each<Dialect>(['duckdb', 'athena'])('reconcileSql (%s text) on DuckDB', (dialect) => {
  let c: DuckDBConnection;
  beforeAll(async () => {
    c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run(`SET TimeZone = 'UTC'`);
    await table(c, 'inv_a', A);
    await table(c, 'inv_b', B);
  });
  afterAll(() => c.closeSync());

  const base = { dialect, tables: { a: 'inv_a', b: 'inv_b' }, createdAt: { a: T, b: T }, overdueMillis: OVERDUE };

  it('counts every kind of version of a one-way pair', async () => {
    const pairs = [{ source: 'a', destination: 'b' }];
    const rows = (await run(c, reconcileSql({ ...base, pairs }))) as unknown as CountRow[];
    expect(countsFromRows(rows, pairs)).toEqual([
      {
        source: 'a',
        destination: 'b',
        sourceVersions: 12,
        replicated: 3, // ok, fail but there, null version
        sizeMismatch: 1,
        failed: 1,
        pending: 2,
        overdue: 1,
        notReplicated: 2,
        completedButMissing: 2,
        orphanReplicas: 1, // orphan new is newer than Ts − overdue
        destinationOnly: 1, // b direct: b is no configured source (b own is in a, as a's replica)
        deleteMarkers: { source: 2, replicated: 1, missing: 1 },
      },
    ]);
  });

  it('does not count a destination that is also a source as destination-only', async () => {
    const pairs = [
      { source: 'a', destination: 'b' },
      { source: 'b', destination: 'a' },
    ];
    const [ab, ba] = countsFromRows((await run(c, reconcileSql({ ...base, pairs }))) as unknown as CountRow[], pairs);
    expect(ab.destinationOnly).toBe(0);
    expect(ab.orphanReplicas).toBe(1);
    // b → a: b's own versions are w1 (replicated to a as REPLICA) and w2 (no status).
    expect(ba).toMatchObject({ sourceVersions: 2, replicated: 1, notReplicated: 1, orphanReplicas: 0, destinationOnly: 0 });
  });

  it('lists exactly the failed, overdue and completed-but-missing versions', async () => {
    const pairs = [{ source: 'a', destination: 'b' }];
    const rows = await run(c, manifestSql({ ...base, pairs, pair: pairs[0] }));
    expect(rows).toEqual([
      { bucket: 'a', key: 'fail', version_id: 'v3' },
      { bucket: 'a', key: 'gone', version_id: 'v8' },
      { bucket: 'a', key: 'gone2', version_id: 'v8b' },
      { bucket: 'a', key: 'stuck', version_id: 'v7' },
    ]);
  });
});

describe('reconcileSql', () => {
  it('refuses a pair without an inventory', () => {
    expect(() =>
      reconcileSql({
        dialect: 'duckdb',
        pairs: [{ source: 'a', destination: 'c' }],
        tables: { a: 't' },
        createdAt: { a: 1 },
        overdueMillis: 0,
      }),
    ).toThrow('no inventory relation for bucket c');
  });

  it('escapes bucket names in literals', () => {
    const sql = reconcileSql({
      dialect: 'athena',
      pairs: [{ source: "a'b", destination: 'c' }],
      tables: { "a'b": 't1', c: 't2' },
      createdAt: { "a'b": HOUR, c: HOUR },
      overdueMillis: 0,
    });
    expect(sql).toContain("'a''b' AS source");
    expect(sql).toContain("TIMESTAMP '1970-01-01 01:00:00.000'");
  });
});

describe('countsFromRows', () => {
  const cats = ['replicated', 'failed', 'orphanReplicas', 'deleteMarkers.missing', 'pending'] as const;
  it('does not depend on the order or the splitting of rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ category: fc.constantFrom(...cats), n: fc.nat(1000), pair: fc.constantFrom('a>b', 'a>c') })),
        fc.nat(),
        (list, seed) => {
          const rows = list.map(({ category, n, pair }) => {
            const [source, destination] = pair.split('>');
            return { source, destination, category, n: String(n) };
          });
          const shuffled = [...rows].sort((x, y) => ((x.n.length * 31 + seed) % 7) - ((y.n.length * 31 + seed) % 7));
          const order = [
            { source: 'a', destination: 'b' },
            { source: 'a', destination: 'c' },
          ];
          const one = countsFromRows(rows, order);
          expect(countsFromRows(shuffled, order)).toEqual(one);
          for (const p of one) {
            expect(p.sourceVersions).toBe(
              p.replicated + p.sizeMismatch + p.failed + p.pending + p.overdue + p.notReplicated + p.completedButMissing,
            );
            expect(p.deleteMarkers.source).toBe(p.deleteMarkers.replicated + p.deleteMarkers.missing);
          }
          const total = rows.filter((r) => r.category === 'failed').reduce((s, r) => s + Number(r.n), 0);
          expect(one.reduce((s, p) => s + p.failed, 0)).toBe(total);
        },
      ),
    );
  });

  it('refuses an unknown category and a bad count', () => {
    expect(() => countsFromRows([{ source: 'a', destination: 'b', category: 'lost', n: 1 }])).toThrow('unknown category lost');
    expect(() => countsFromRows([{ source: 'a', destination: 'b', category: 'failed', n: '1.5' }])).toThrow('count 1.5');
  });

  it('takes DuckDB BigInts', () => {
    expect(countsFromRows([{ source: 'a', destination: 'b', category: 'failed', n: 3n }])[0].failed).toBe(3);
  });
});
