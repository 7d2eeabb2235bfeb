/**
 * The seam between `crr-monitor reconcile` and the engines that run it (DuckDB embedded here, Athena for what
 * outgrows a machine): a request in, the report of docs/report-schema.md (plus a few example versions of each kind)
 * out, and the Batch Operations manifest rows handed to the caller's writer while the engine still holds them.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BucketPair, PairCounts } from './query';
import { InventoryError } from './manifest';

export interface ReconcileRequest {
  /** The pairs to reconcile, in report order. */
  readonly pairs: readonly BucketPair[];
  /** `manifest.json` locations (local paths or s3:// URLs), one per bucket. */
  readonly inventories: readonly string[];
  readonly overdueMillis: number;
  /** How many example versions of each kind to return per pair (0: none). */
  readonly examples: number;
  /** A folder the engine may use for downloads and spill files; the caller removes it. */
  readonly tempDir: string;
  /** The S3 client for s3:// inventories (created on first use). */
  readonly s3?: () => S3Client;
  /** When set, the failed, overdue and completed-but-missing versions of `pair` are handed to `write`. */
  readonly manifest?: {
    readonly pair: BucketPair;
    /** Consumes the rows (source bucket, in key and version order); resolves to how many it wrote. */
    write(rows: AsyncIterable<{ key: string; versionId: string }>): Promise<number>;
  };
}

/** The reconcile report (docs/report-schema.md). */
interface ReconcileReport {
  readonly pairs: PairCounts[];
  readonly inventories: { bucket: string; createdAt: string; format: string; files: number; rows: number }[];
}

/** A few versions of one kind of one pair, for the table. */
export interface ReconcileExample {
  readonly source: string;
  readonly destination: string;
  readonly category: string;
  readonly key: string;
  readonly versionId: string;
}

export interface ReconcileResult {
  readonly report: ReconcileReport;
  readonly examples: ReconcileExample[];
  /** How many manifest rows `manifest.write` wrote, when a manifest was asked for. */
  readonly manifestCount?: number;
  /** Where the time went (seconds): fetching and proving the data files, loading them, the reconcile query. */
  readonly seconds: { readonly verify: number; readonly load: number; readonly query: number };
}

export interface ReconcileEngine {
  readonly name: string;
  reconcile(request: ReconcileRequest): Promise<ReconcileResult>;
}

/** Checks what every engine needs of a request, then runs it on `engine`. */
export async function runReconcile(engine: ReconcileEngine, request: ReconcileRequest): Promise<ReconcileResult> {
  if (request.pairs.length === 0) throw new InventoryError('reconcile needs at least one pair (--pair SRC=DST or --config)');
  if (request.inventories.length === 0) throw new InventoryError('reconcile needs an inventory per bucket (--inventory MANIFEST)');
  const m = request.manifest;
  if (m && !request.pairs.some((p) => p.source === m.pair.source && p.destination === m.pair.destination))
    throw new InventoryError(`--manifest: pair ${m.pair.source} → ${m.pair.destination} is not reconciled`);
  return engine.reconcile(request);
}

/** Each pair's buckets must have an inventory; names the first that has none. */
export function checkCoverage(pairs: readonly BucketPair[], buckets: ReadonlySet<string>): void {
  for (const pair of pairs) {
    for (const bucket of [pair.source, pair.destination]) {
      if (!buckets.has(bucket))
        throw new InventoryError(
          `pair ${pair.source} → ${pair.destination}: no inventory of bucket ${bucket} (give its manifest.json with --inventory)`,
        );
    }
  }
}

/** Splits an example from the query (`key` + ' ' + `version_id`: version IDs hold no space). */
export function splitExample(value: string): { key: string; versionId: string } {
  const at = value.lastIndexOf(' ');
  return { key: value.slice(0, at), versionId: value.slice(at + 1) };
}
