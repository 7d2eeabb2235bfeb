/**
 * The reconcile query: one SQL statement that compares every version in a source bucket's S3 Inventory with the
 * destination's, for DuckDB (embedded) and Athena alike. One query text for both; the few places where the dialects
 * differ are the small helpers in DIALECTS.
 *
 * Each bucket's relation (`tables[bucket]`, a table or view name, or a parenthesised subquery) has the inventory
 * columns named as in the S3 User Guide's Athena table for inventory ("Querying Amazon S3 Inventory with Amazon
 * Athena"), normalised to these types:
 *   key                 VARCHAR    the plain key (CSV reports' URL encoding already decoded)
 *   version_id          VARCHAR    NULL or '' for a null version (both read as the version ID `null`)
 *   is_delete_marker    BOOLEAN    NULL reads as false
 *   size                BIGINT
 *   last_modified_date  TIMESTAMP  Athena: TIMESTAMP (UTC); DuckDB: TIMESTAMP WITH TIME ZONE (the session in UTC), as its
 *                                  Parquet reader gives S3's `TIMESTAMP(MILLIS,true)`: no per-row conversion
 *   replication_status  VARCHAR    COMPLETED (or COMPLETE), PENDING, FAILED, REPLICA, or NULL/'' for none
 * Other columns (bucket, is_latest, e_tag, …) may be there; the query does not read them.
 *
 * The rules (issue 16), per pair S → D, Td and Ts the destination's and the source's inventory creation times:
 * - source versions: S's rows that are not delete markers and whose status is not REPLICA (those are replicas of
 *   the other direction of a bi-directional pair, never sources);
 *   - present in D (same key and version ID): `replicated` if the sizes agree, else `sizeMismatch`;
 *   - absent: `failed` (FAILED), `notReplicated` (no status), else `pending` when LastModified > Td − overdue (D's
 *     snapshot could not hold it yet), else `overdue` (PENDING) or `completedButMissing` (COMPLETED);
 * - D's versions (not delete markers) found in none of D's configured sources, with LastModified < Ts − overdue
 *   (every source's Ts, when D has several): `orphanReplicas` (status REPLICA) and, when D is no configured source,
 *   `destinationOnly` (written straight into D). A destination with several sources counts such a version under
 *   each of its pairs: which source it came from is not in the inventories.
 * - S's delete markers (not REPLICA): `deleteMarkers.replicated` (same key and version ID in D, as a marker) or
 *   `deleteMarkers.missing`.
 * Duplicate rows of a (key, version ID) in D count once (the destination side is grouped before the join), so no
 * input makes the join grow beyond the source's row count.
 */

export type Dialect = 'duckdb' | 'athena';

export interface BucketPair {
  readonly source: string;
  readonly destination: string;
}

export interface ReconcileQueryOptions {
  readonly dialect: Dialect;
  /** The pairs to reconcile, in report order. */
  readonly pairs: readonly BucketPair[];
  /** Bucket name → SQL relation holding its inventory (every bucket of every pair). */
  readonly tables: Readonly<Record<string, string>>;
  /** Bucket name → its inventory's `creationTimestamp` (epoch ms). */
  readonly createdAt: Readonly<Record<string, number>>;
  /** How long a version may stay PENDING before it is overdue (ms). */
  readonly overdueMillis: number;
  /**
   * Optional: add a column `examples` to `reconcileSql`'s rows, the category's first N versions (NULL for the
   * replicated kinds), each as
   * `key + ' ' + version_id`, in that string's order (version IDs hold no space: split at the last one). Off by default.
   */
  readonly examples?: number;
}

/** The categories of the result rows: the reconcile JSON's counts, dotted for the nested `deleteMarkers`. */
type Category =
  | 'replicated'
  | 'sizeMismatch'
  | 'failed'
  | 'pending'
  | 'overdue'
  | 'notReplicated'
  | 'completedButMissing'
  | 'orphanReplicas'
  | 'destinationOnly'
  | 'deleteMarkers.replicated'
  | 'deleteMarkers.missing';

/** The categories `--manifest` lists: the versions a Batch Replication job should copy again. */
const REDRIVE_CATEGORIES: readonly Category[] = ['failed', 'overdue', 'completedButMissing'];

/** One pair's counts, as in docs/report-schema.md (`pairs[]` of the reconcile report). */
export interface PairCounts {
  source: string;
  destination: string;
  sourceVersions: number;
  replicated: number;
  sizeMismatch: number;
  failed: number;
  pending: number;
  overdue: number;
  notReplicated: number;
  completedButMissing: number;
  orphanReplicas: number;
  destinationOnly: number;
  deleteMarkers: { source: number; replicated: number; missing: number };
}

/** A result row of `reconcileSql`, as either engine returns it (Athena gives every value as a string). */
export interface CountRow {
  readonly source: string;
  readonly destination: string;
  readonly category: string;
  readonly n: number | bigint | string;
}

/**
 * Where DuckDB's SQL and Athena's (Trino) differ: the time literal, of the type each engine's relations hold
 * (comparing a column with a literal of another type would convert every row).
 */
const DIALECTS: Record<Dialect, { timestamp(ms: number): string }> = {
  duckdb: { timestamp: (ms) => `TIMESTAMPTZ '${timestampText(ms)}+00'` },
  athena: { timestamp: (ms) => `TIMESTAMP '${timestampText(ms)}'` },
};

/** The `examples` column: `min(x, n)` (the n least values, ordered) is DuckDB's and Trino's alike. */
function examples(opts: ReconcileQueryOptions): string {
  const n = opts.examples ?? 0;
  if (n === 0) return '';
  if (!Number.isSafeInteger(n) || n < 0 || n > 1000) throw new Error(`examples ${n}: expected 0 to 1000`);
  // Only the kinds that need attention: the concatenation is not paid for the replicated bulk.
  return `, min(CASE WHEN category NOT IN ('replicated', 'deleteMarkers.replicated') THEN "key" || ' ' || version_id END, ${n}) AS examples`;
}

function timestampText(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${ms}`);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A string literal in either dialect. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The bucket's normalised rows: the one place that reads the relation's columns. */
function versions(relation: string): string {
  return (
    `(SELECT "key" AS k, COALESCE(NULLIF(version_id, ''), 'null') AS v, COALESCE(is_delete_marker, false) AS dm, ` +
    `size AS sz, last_modified_date AS lm, UPPER(COALESCE(replication_status, '')) AS st FROM ${relation})`
  );
}

interface Resolved {
  readonly relation: (bucket: string) => string;
  readonly created: (bucket: string) => number;
  readonly ts: (ms: number) => string;
}

function resolve(opts: ReconcileQueryOptions): Resolved {
  if (opts.pairs.length === 0) throw new Error('reconcile needs at least one pair');
  if (!Number.isFinite(opts.overdueMillis) || opts.overdueMillis < 0)
    throw new Error(`overdueMillis ${opts.overdueMillis}: not a duration`);
  for (const { source, destination } of opts.pairs) {
    for (const bucket of [source, destination]) {
      if (!Object.hasOwn(opts.tables, bucket)) throw new Error(`no inventory relation for bucket ${bucket}`);
      if (!Object.hasOwn(opts.createdAt, bucket)) throw new Error(`no inventory creation time for bucket ${bucket}`);
    }
  }
  return {
    relation: (bucket) => opts.tables[bucket],
    created: (bucket) => opts.createdAt[bucket],
    ts: DIALECTS[opts.dialect].timestamp,
  };
}

/** Each source version and delete marker of the pair with its category (the source side). */
function sourceSide(pair: BucketPair, opts: ReconcileQueryOptions, r: Resolved): string {
  const pendingAfter = r.ts(r.created(pair.destination) - opts.overdueMillis);
  return `SELECT s.k AS "key", s.v AS version_id,
    CASE
      WHEN s.dm THEN CASE WHEN d.k IS NULL THEN 'deleteMarkers.missing' ELSE 'deleteMarkers.replicated' END
      WHEN d.k IS NOT NULL THEN CASE WHEN d.min_sz = s.sz AND d.max_sz = s.sz THEN 'replicated' ELSE 'sizeMismatch' END
      WHEN s.st = 'FAILED' THEN 'failed'
      WHEN s.st = '' THEN 'notReplicated'
      WHEN s.lm > ${pendingAfter} THEN 'pending'
      WHEN s.st IN ('COMPLETED', 'COMPLETE') THEN 'completedButMissing'
      ELSE 'overdue'
    END AS category
  FROM ${versions(r.relation(pair.source))} s
  LEFT JOIN (SELECT k, v, dm, MIN(sz) AS min_sz, MAX(sz) AS max_sz FROM ${versions(r.relation(pair.destination))} GROUP BY k, v, dm) d
    ON d.k = s.k AND d.v = s.v AND d.dm = s.dm
  WHERE s.st <> 'REPLICA'`;
}

/** The destination's versions that none of its configured sources holds (the destination side). */
function destinationSide(pair: BucketPair, opts: ReconcileQueryOptions, r: Resolved): string {
  const sources = [...new Set(opts.pairs.filter((p) => p.destination === pair.destination).map((p) => p.source))];
  const isSource = opts.pairs.some((p) => p.source === pair.destination);
  const before = r.ts(Math.min(...sources.map((s) => r.created(s))) - opts.overdueMillis);
  const absent = sources
    .map((s) => `NOT EXISTS (SELECT 1 FROM ${versions(r.relation(s))} s WHERE s.k = d.k AND s.v = d.v AND NOT s.dm)`)
    .join('\n    AND ');
  return `SELECT d.k AS "key", d.v AS version_id,
    CASE WHEN d.st = 'REPLICA' THEN 'orphanReplicas' ELSE 'destinationOnly' END AS category
  FROM ${versions(r.relation(pair.destination))} d
  WHERE NOT d.dm AND d.lm < ${before}${isSource ? ` AND d.st = 'REPLICA'` : ''}
    AND ${absent}`;
}

/**
 * One statement whose rows are `source, destination, category, n`: how many versions of each category each pair
 * has (categories with no version have no row). `countsFromRows` turns them into the report's `pairs[]`.
 */
export function reconcileSql(opts: ReconcileQueryOptions): string {
  const r = resolve(opts);
  const parts = opts.pairs.map((pair) => {
    const label = `${literal(pair.source)} AS source, ${literal(pair.destination)} AS destination`;
    return [sourceSide(pair, opts, r), destinationSide(pair, opts, r)].map(
      (side) => `SELECT ${label}, category, COUNT(*) AS n${examples(opts)} FROM (\n  ${side}\n) x GROUP BY category`,
    );
  });
  return parts.flat().join('\nUNION ALL\n');
}

/**
 * One statement whose rows are `bucket, key, version_id`: exactly the pair's failed, overdue and
 * completed-but-missing source versions (what a Batch Replication job should copy again), ordered by key and
 * version ID. `bucket` is the source.
 */
export function manifestSql(opts: ReconcileQueryOptions & { readonly pair: BucketPair }): string {
  const r = resolve({ ...opts, pairs: opts.pairs.some((p) => samePair(p, opts.pair)) ? opts.pairs : [...opts.pairs, opts.pair] });
  const wanted = REDRIVE_CATEGORIES.map(literal).join(', ');
  return `SELECT ${literal(opts.pair.source)} AS "bucket", "key", version_id FROM (
  ${sourceSide(opts.pair, opts, r)}
) x WHERE category IN (${wanted})
ORDER BY "key", version_id`;
}

function samePair(a: BucketPair, b: BucketPair): boolean {
  return a.source === b.source && a.destination === b.destination;
}

function zeroCounts(pair: BucketPair): PairCounts {
  return {
    source: pair.source,
    destination: pair.destination,
    sourceVersions: 0,
    replicated: 0,
    sizeMismatch: 0,
    failed: 0,
    pending: 0,
    overdue: 0,
    notReplicated: 0,
    completedButMissing: 0,
    orphanReplicas: 0,
    destinationOnly: 0,
    deleteMarkers: { source: 0, replicated: 0, missing: 0 },
  };
}

const SOURCE_SIDE: ReadonlySet<string> = new Set([
  'replicated',
  'sizeMismatch',
  'failed',
  'pending',
  'overdue',
  'notReplicated',
  'completedButMissing',
]);

/**
 * The report's `pairs[]` from `reconcileSql`'s rows (in any order; a category may come in several rows, which add
 * up). `pairs`, when given, sets the order and includes pairs with no row at all; without it, pairs come in the
 * order first seen. An unknown category or a count that is not a whole number throws.
 */
export function countsFromRows(rows: Iterable<CountRow>, pairs: readonly BucketPair[] = []): PairCounts[] {
  const byPair = new Map<string, PairCounts>();
  const id = (p: BucketPair) => JSON.stringify([p.source, p.destination]);
  for (const pair of pairs) if (!byPair.has(id(pair))) byPair.set(id(pair), zeroCounts(pair));
  for (const row of rows) {
    const n = Number(row.n);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`reconcile row ${row.source} → ${row.destination} ${row.category}: count ${row.n}`);
    let counts = byPair.get(id(row));
    if (!counts) byPair.set(id(row), (counts = zeroCounts(row)));
    if (row.category === 'deleteMarkers.replicated') counts.deleteMarkers.replicated += n;
    else if (row.category === 'deleteMarkers.missing') counts.deleteMarkers.missing += n;
    else if (SOURCE_SIDE.has(row.category) || row.category === 'orphanReplicas' || row.category === 'destinationOnly')
      counts[row.category as Exclude<Category, `deleteMarkers.${string}`>] += n;
    else throw new Error(`reconcile row ${row.source} → ${row.destination}: unknown category ${row.category}`);
  }
  for (const counts of byPair.values()) {
    counts.sourceVersions = [...SOURCE_SIDE].reduce((sum, c) => sum + (counts[c as keyof PairCounts] as number), 0);
    counts.deleteMarkers.source = counts.deleteMarkers.replicated + counts.deleteMarkers.missing;
  }
  return [...byPair.values()];
}
