/**
 * The cloud reconcile (issue 16): when a configured bucket's S3 Inventory manifest arrives in the inventory bucket,
 * reconcile every pair that bucket belongs to on Athena (engines/reconcile/athena.ts), against the newest inventory of
 * the other side; publish per pair MissingReplicas, ReplicaSizeMismatches, OrphanReplicaVersions and
 * UnreplicatedVersions; write the report (docs/report-schema.md's reconcile JSON) and, per pair with versions to
 * redrive, the S3 Batch Operations manifest beside it, under `<outputPrefix>runs/<bucket>/<snapshot>/`.
 *
 * The trigger is S3's own EventBridge event (`source` aws.s3, `detail-type` Object Created) of the inventory bucket:
 * anything else — another source (only AWS can emit `aws.*`), another bucket, a key that is not a configured bucket's
 * manifest — is refused and logged, never reconciled. Each side's snapshot is compared with the other's newest, so a
 * pair is reconciled when either inventory arrives; Td/Ts in the query keep versions newer than the other snapshot out
 * of the counts. A manifest whose Hive symlink is not there yet fails the invocation, and Lambda's asynchronous retries
 * try again.
 */
import { inventorySummaries, type InventorySnapshot, type PreparedReconcile } from '../../engines/reconcile/athena';
import type { BucketPair, PairCounts } from '../../engines/reconcile/query';
import { manifestLine } from '../core/batch-manifest';
import { RECONCILE_OUTPUT, type ReconcileSettings } from '../shared/contract';
import type { Logger } from '../shared/log';

/** The inventory bucket, as far as the handler reads and writes it. */
export interface InventoryStore {
  getJson(bucket: string, key: string): Promise<unknown>;
  /** The immediate sub-folders of `prefix` (keys ending in '/'), every page. */
  folders(bucket: string, prefix: string): Promise<string[]>;
  exists(bucket: string, key: string): Promise<boolean>;
  put(bucket: string, key: string, body: string, contentType: string): Promise<void>;
  /** Writes the lines as one object, streamed (any number of lines); resolves to how many. */
  putLines(bucket: string, key: string, lines: AsyncIterable<string>, contentType: string): Promise<number>;
}

/** The reconcile engine: Athena in the cloud (tests give another). */
interface ReconcileEngine {
  prepare(request: {
    snapshots: readonly InventorySnapshot[];
    pairs: readonly BucketPair[];
    overdueMillis: number;
  }): Promise<PreparedReconcile>;
}

export interface ReconcileMetrics {
  /** One datapoint of each reconcile metric per pair. */
  publish(counts: readonly PairCounts[]): void;
}

export interface ReconcileDeps {
  readonly settings: ReconcileSettings;
  readonly pairs: readonly BucketPair[];
  readonly overdueMillis: number;
  readonly store: InventoryStore;
  readonly engine: ReconcileEngine;
  /** Turns a manifest (where it was found, what it says) into a snapshot; throws on what reconcile cannot read. */
  readonly snapshotOf: (location: { bucket: string; key: string }, manifest: unknown) => InventorySnapshot;
  readonly metrics: ReconcileMetrics;
  readonly logger: Logger;
}

/** The EventBridge event S3 sends for a new object (only the fields read here). */
export interface ObjectCreatedEvent {
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly detail?: { readonly bucket?: { readonly name?: unknown }; readonly object?: { readonly key?: unknown } };
}

export type ReconcileOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'reconciled';
      readonly bucket: string;
      readonly report: string;
      readonly manifests: string[];
      readonly pairs: PairCounts[];
      /** Pairs of the bucket not reconciled this time (the other side has no usable inventory yet), with why. */
      readonly waiting: { source: string; destination: string; reason: string }[];
    };

const MANIFEST_LAYOUT = /^(.+?)\/([^/]+)\/(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)\/manifest\.json$/;
const SNAPSHOT_FOLDER = /\/(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)\/$/;

/** `a+b%20c` → `a b c`: how S3 event notifications encode keys (EventBridge's are plain; both are tried). */
function formDecoded(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const pairId = (p: BucketPair) => JSON.stringify([p.source, p.destination]);

export function createReconcileHandler(deps: ReconcileDeps): (event: ObjectCreatedEvent) => Promise<ReconcileOutcome> {
  const { settings, store, logger } = deps;
  const buckets = new Set(deps.pairs.flatMap((p) => [p.source, p.destination]));

  /** The readings of `key` that name a configured bucket's manifest: as it is, and form-decoded when that differs. */
  function manifestKeys(key: string): string[] {
    const keys: string[] = [];
    for (const candidate of new Set([key, formDecoded(key)])) {
      if (candidate === undefined || !candidate.startsWith(settings.inventoryPrefix)) continue;
      const layout = MANIFEST_LAYOUT.exec(candidate.slice(settings.inventoryPrefix.length));
      if (layout && buckets.has(layout[1])) keys.push(candidate);
    }
    return keys;
  }

  /** The first reading of the key that exists (a key may carry a literal `+` or `%`, or be encoded). */
  async function readManifest(keys: string[]): Promise<{ key: string; manifest: unknown }> {
    for (const [i, key] of keys.entries()) {
      try {
        return { key, manifest: await store.getJson(settings.inventoryBucket, key) };
      } catch (error) {
        if ((error as { name?: string }).name !== 'NoSuchKey' || i === keys.length - 1) throw error;
      }
    }
    throw new Error('no manifest key');
  }

  /** The newest snapshot of `bucket` that reconcile can read, over all its inventory configurations. */
  async function newestSnapshot(bucket: string): Promise<InventorySnapshot | string> {
    const configs = await store.folders(settings.inventoryBucket, `${settings.inventoryPrefix}${bucket}/`);
    const problems: string[] = [];
    let best: InventorySnapshot | undefined;
    for (const config of configs) {
      const snapshots = (await store.folders(settings.inventoryBucket, config)).filter((f) => SNAPSHOT_FOLDER.test(f)).sort();
      const newest = snapshots.at(-1);
      if (!newest) continue;
      const key = `${newest}manifest.json`;
      try {
        const snapshot = deps.snapshotOf({ bucket: settings.inventoryBucket, key }, await store.getJson(settings.inventoryBucket, key));
        if (!best || snapshot.createdAt > best.createdAt) best = snapshot;
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    return (
      best ??
      (problems.length > 0
        ? problems.join('; ')
        : `no inventory of ${bucket} in s3://${settings.inventoryBucket}/${settings.inventoryPrefix}${bucket}/`)
    );
  }

  return async (event) => {
    const bucketName = event.detail?.bucket?.name;
    const key = event.detail?.object?.key;
    if (
      event.source !== 'aws.s3' ||
      event['detail-type'] !== 'Object Created' ||
      bucketName !== settings.inventoryBucket ||
      typeof key !== 'string'
    ) {
      const reason = `not an S3 Object Created event of ${settings.inventoryBucket} (source ${JSON.stringify(event.source)}, bucket ${JSON.stringify(bucketName)})`;
      logger.warn('reconcile: event refused', { reason });
      return { status: 'skipped', reason };
    }
    const keys = manifestKeys(key);
    if (keys.length === 0) {
      const reason = `${key} is not the inventory manifest of a configured bucket`;
      logger.warn('reconcile: event refused', { reason });
      return { status: 'skipped', reason };
    }

    const arrived = await readManifest(keys);
    const snapshot = deps.snapshotOf({ bucket: settings.inventoryBucket, key: arrived.key }, arrived.manifest);
    const symlink = `${snapshot.configRoot}hive/dt=${snapshot.dt}/symlink.txt`;
    // Thrown, not skipped: S3 writes the symlink beside the manifest, and the retry finds it.
    if (!(await store.exists(settings.inventoryBucket, symlink)))
      throw new Error(`s3://${settings.inventoryBucket}/${symlink} is not there yet: Athena reads the report through it`);

    // What the query needs to count a pair S → D right: every source of D (orphans are D's versions in none of
    // them) and whether D is itself a source (then only REPLICA versions can be orphans). So each counted pair runs
    // with the pairs it depends on, whose inventories must be there too; only the counted pairs are published.
    const dependsOn = (p: BucketPair) => deps.pairs.filter((q) => q.destination === p.destination || q.source === p.destination);
    const involved = deps.pairs.filter((p) => p.source === snapshot.bucket || p.destination === snapshot.bucket);
    const needed = (p: BucketPair) => [...new Set([p, ...dependsOn(p)].flatMap((q) => [q.source, q.destination]))];
    const snapshots = new Map<string, InventorySnapshot>([[snapshot.bucket, snapshot]]);
    const missing = new Map<string, string>();
    for (const bucket of new Set(involved.flatMap(needed))) {
      if (snapshots.has(bucket)) continue;
      const found = await newestSnapshot(bucket);
      if (typeof found === 'string') missing.set(bucket, found);
      else snapshots.set(bucket, found);
    }
    const waiting: { source: string; destination: string; reason: string }[] = [];
    const counted: BucketPair[] = [];
    for (const p of involved) {
      const absent = needed(p).filter((b) => missing.has(b));
      if (absent.length === 0) counted.push(p);
      else if (absent.includes(p.source) || absent.includes(p.destination))
        waiting.push({ ...p, reason: missing.get(absent.includes(p.source) ? p.source : p.destination)! });
      else
        waiting.push({
          ...p,
          reason: `waits for the inventory of ${absent.join(', ')}: every source of ${p.destination} and every bucket it replicates to are needed`,
        });
    }
    const ids = new Set(counted.flatMap((p) => [p, ...dependsOn(p)]).map(pairId));
    const pairs = deps.pairs.filter((p) => ids.has(pairId(p)));
    for (const w of waiting) logger.warn('reconcile: pair not reconciled yet', { ...w });

    const folder = `${settings.outputPrefix}${RECONCILE_OUTPUT.runs}${snapshot.bucket}/${arrived.key.split('/').at(-2)}/`;
    if (counted.length === 0) {
      return { status: 'reconciled', bucket: snapshot.bucket, report: '', manifests: [], pairs: [], waiting };
    }
    const used = new Set(pairs.flatMap((p) => [p.source, p.destination]));
    const prepared = await deps.engine.prepare({
      snapshots: [...snapshots.values()].filter((s) => used.has(s.bucket)),
      pairs,
      overdueMillis: deps.overdueMillis,
    });
    const result = await prepared.counts();
    const queryExecutionId = result.queryExecutionId;
    const counts = result.pairs.filter((c) => counted.some((p) => pairId(p) === pairId(c)));
    deps.metrics.publish(counts);
    const rows = await prepared.rows();

    const manifests: string[] = [];
    for (const c of counts) {
      if (c.failed + c.overdue + c.completedButMissing === 0) continue;
      const manifestKey = `${folder}${c.source}--${c.destination}.manifest.csv`;
      const versions = prepared.manifest(c);
      const lines = (async function* () {
        for await (const v of versions) yield manifestLine(v.bucket, v.key, v.versionId);
      })();
      await store.putLines(settings.inventoryBucket, manifestKey, lines, 'text/csv');
      manifests.push(manifestKey);
    }
    const report = {
      pairs: counts,
      inventories: inventorySummaries(snapshots.values(), used, rows),
      athena: { queryExecutionId, workgroup: settings.workgroup, database: settings.database },
      manifests,
    };
    const reportKey = `${folder}reconcile.json`;
    await store.put(settings.inventoryBucket, reportKey, JSON.stringify(report, null, 2) + '\n', 'application/json');
    logger.info('reconcile: done', { bucket: snapshot.bucket, report: reportKey, manifests, pairs: counts });
    return { status: 'reconciled', bucket: snapshot.bucket, report: reportKey, manifests, pairs: counts, waiting };
  };
}
