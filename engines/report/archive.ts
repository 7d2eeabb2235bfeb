/**
 * RPO compliance over months: the `slo` report computed from the archive's files (what lambda/archive writes through
 * Firehose: GZIP JSON Lines, one `ArchiveRow` per pair outcome, under `crr-monitor/records/dt=YYYY-MM-DD/`) on
 * embedded DuckDB. The latest row of each (source, destination, key, versionId) by (revision, sequence) is the
 * version's final state, as the Athena query in docs/deploying.md takes it; each is judged as lambda/core/slo.ts
 * judges a pair state (tallied per pair and day in SQL, merged by SloBuilder), so the figures equal `analyze`'s for
 * the same finished versions.
 *
 * The archive holds finished versions only (COMPLETED, FAILED): nothing there is "pending longer than the objective".
 * A failed version's age is taken at `at` (default: the latest `recordedAt` read, so the same files give the same
 * report whenever it runs).
 *
 * DuckDB reads the files through links of safe names in a temporary folder (a file name with `*`, `?` or `[` would
 * otherwise be a glob), gzip told by its magic bytes, not its name; no extension is ever downloaded.
 */
import { mkdtempSync, openSync, readSync, closeSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { judgedFailure, SloBuilder, type PairStateName, type ReplicationPair, type SloReport } from '../../lambda/core';
import { FAILURE_REASONS } from '../../lambda/core/failures';

export interface ArchiveSloOptions {
  readonly objectiveSeconds: number;
  /** Only these pairs (empty: every pair in the archive). */
  readonly pairs: readonly ReplicationPair[];
  /** Source writes from this time on / before this time (epoch ms). */
  readonly since?: number;
  readonly until?: number;
  /** Ages failed versions; default the latest `recordedAt` of the rows read. */
  readonly at?: number;
}

export interface ArchiveSloResult {
  readonly asOf: string | null;
  readonly slo: SloReport;
  readonly read: { readonly files: number; readonly rows: number; readonly versions: number; readonly rejected: number };
}

/** A problem with the archive's files, naming the file where DuckDB says which. */
export class ArchiveError extends Error {}

/** The archive row columns `lambda/archive/archive.ts` writes (ArchiveRow), typed for DuckDB's reader. */
const COLUMNS = {
  source: 'VARCHAR',
  destination: 'VARCHAR',
  key: 'VARCHAR',
  versionId: 'VARCHAR',
  state: 'VARCHAR',
  revision: 'INTEGER',
  recordedAt: 'BIGINT',
  sequence: 'VARCHAR',
  sourceAt: 'BIGINT',
  withoutSource: 'BOOLEAN',
  latencySeconds: 'DOUBLE',
  failureReason: 'VARCHAR',
};

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const columns = `{${Object.entries(COLUMNS)
  .map(([name, type]) => `${literal(name)}: ${literal(type)}`)
  .join(', ')}}`;

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Reasons that never count (source deleted, delete markers): lambda/core/slo.ts decides, SQL only lists them. */
function notJudgedReasons(): string[] {
  // Rows archived before the failure classes existed carry these reasons with state FAILED.
  return Object.keys(FAILURE_REASONS).filter((r) => !judgedFailure(r));
}

/** Every state an archive row can hold (lambda/archive writes one row per final pair state). */
const ARCHIVED_STATES: readonly PairStateName[] = ['COMPLETED', 'FAILED', 'DELETE_MARKER_FAILED', 'SOURCE_DELETED'];

/** One archive file: where it is, and how to name it in a message (its s3:// URI when it was downloaded). */
export interface ArchiveFile {
  readonly path: string;
  readonly name: string;
}

export async function archiveSlo(files: readonly ArchiveFile[], options: ArchiveSloOptions): Promise<ArchiveSloResult> {
  const links = mkdtempSync(path.join(tmpdir(), 'crr-archive-'));
  const original = new Map<string, string>();
  const gzip: string[] = [];
  const plain: string[] = [];
  files.forEach((file, i) => {
    const zipped = isGzip(file.path);
    const link = path.join(links, `${i}.jsonl${zipped ? '.gz' : ''}`);
    symlinkSync(path.resolve(file.path), link);
    original.set(link, file.name);
    (zipped ? gzip : plain).push(link);
  });
  // Spills to the temporary folder when months of rows outgrow memory; never fetches an extension.
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    temp_directory: path.join(links, 'spill'),
  });
  const connection = await instance.connect();
  try {
    const sources = [
      ...(gzip.length
        ? [
            `SELECT * FROM read_json([${gzip.map(literal).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = ${columns})`,
          ]
        : []),
      ...(plain.length
        ? [
            `SELECT * FROM read_json([${plain.map(literal).join(', ')}], format = 'newline_delimited', compression = 'uncompressed', columns = ${columns})`,
          ]
        : []),
    ];
    const empty = `SELECT ${Object.entries(COLUMNS)
      .map(([name, type]) => `NULL::${type} AS "${name}"`)
      .join(', ')} WHERE false`;
    // The raw rows stay a view (read again for the counts); only the latest row of each version is kept, narrowed.
    await connection.run(`CREATE TEMP VIEW rows AS ${sources.length ? sources.join(' UNION ALL ') : empty}`);
    const valid = `source IS NOT NULL AND destination IS NOT NULL AND key IS NOT NULL AND "versionId" IS NOT NULL
      AND state IN (${ARCHIVED_STATES.map(literal).join(', ')}) AND revision IS NOT NULL AND "sourceAt" IS NOT NULL AND "recordedAt" IS NOT NULL`;
    const pairFilter = options.pairs.length
      ? `AND (source, destination) IN (${options.pairs.map((p) => `(${literal(p.source)}, ${literal(p.destination)})`).join(', ')})`
      : '';
    await connection.run(`CREATE TEMP TABLE latest AS
      SELECT source, destination, state, "recordedAt", "sourceAt", "withoutSource", "latencySeconds", "failureReason"
      FROM rows WHERE ${valid} ${pairFilter}
      QUALIFY row_number() OVER (PARTITION BY source, destination, key, "versionId" ORDER BY revision DESC, coalesce(sequence, '') DESC, "recordedAt" DESC) = 1`);
    const counts = (
      await connection.runAndReadAll(
        `SELECT r.rows, r.rejected, l.versions, l.latest
         FROM (SELECT count(*) AS rows, count(*) FILTER (WHERE NOT coalesce(${valid}, false)) AS rejected FROM rows) r,
              (SELECT count(*) AS versions, max("recordedAt") AS latest FROM latest) l`,
      )
    ).getRowObjectsJS()[0] as { rows: bigint; rejected: bigint; versions: bigint; latest: bigint | null };
    const at = options.at ?? (counts.latest === null ? undefined : Number(counts.latest));
    const builder = new SloBuilder(options.objectiveSeconds, at ?? 0);
    const window = [
      options.since !== undefined ? `AND "sourceAt" >= ${Math.trunc(options.since)}` : '',
      options.until !== undefined ? `AND "sourceAt" < ${Math.trunc(options.until)}` : '',
    ].join(' ');
    // Every pair of the (filtered) archive is listed, like the report's pairs, even with nothing judged.
    for (const row of (await connection.runAndReadAll(`SELECT DISTINCT source, destination FROM latest ORDER BY 1, 2`)).getRowObjectsJS()) {
      builder.addPair(String(row.source), String(row.destination));
    }
    const excluded = notJudgedReasons().map(literal).join(', ');
    const judged = await connection.runAndReadAll(
      `
      WITH judged AS (
        SELECT source, destination, "sourceAt",
               -- As slo.ts: the age in whole milliseconds, then divided as a double (not DuckDB's DECIMAL arithmetic).
               CASE WHEN state = 'COMPLETED' THEN "latencySeconds" ELSE greatest(0, $at::BIGINT - "sourceAt")::DOUBLE / 1000::DOUBLE END AS seconds,
               state = 'COMPLETED' AS arrived
        FROM latest
        WHERE ((state = 'COMPLETED' AND NOT coalesce("withoutSource", false) AND "latencySeconds" IS NOT NULL)
            OR (state = 'FAILED' AND coalesce("failureReason", 'Unknown') NOT IN (${excluded})))
          ${window}
      )
      SELECT source, destination, strftime(epoch_ms("sourceAt"), '%Y-%m-%d') AS day,
             count(*) FILTER (WHERE arrived AND seconds <= $objective::DOUBLE) AS within,
             count(*) FILTER (WHERE NOT (arrived AND seconds <= $objective::DOUBLE)) AS missed,
             max(seconds) AS worst
      FROM judged GROUP BY 1, 2, 3`,
      { at: at ?? 0, objective: options.objectiveSeconds },
    );
    for (const row of judged.getRowObjectsJS()) {
      builder.addDay({
        source: String(row.source),
        destination: String(row.destination),
        day: String(row.day),
        within: Number(row.within),
        missed: Number(row.missed),
        worstSeconds: Number(row.worst),
      });
    }
    return {
      asOf: at === undefined ? null : new Date(at).toISOString(),
      slo: builder.build(),
      read: { files: files.length, rows: Number(counts.rows), versions: Number(counts.versions), rejected: Number(counts.rejected) },
    };
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    for (const [link, file] of original) message = message.split(link).join(file);
    throw new ArchiveError(message);
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(links, { recursive: true, force: true });
  }
}
