import { HeadObjectCommand, ListObjectVersionsCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ReplicationStatus } from '../core';

/**
 * What HeadObject says about one version. 403 and 404 are answers, not exceptions: the caller must count them.
 * In a destination, `found` alone is the proof of the replica: with replica modification sync a replica's
 * `x-amz-replication-status` is PENDING, COMPLETED or FAILED (its own metadata going back), not REPLICA, so the
 * status says nothing there (the sweep records any `found` answer of a destination as REPLICA).
 */
export type HeadResult =
  | {
      readonly outcome: 'found';
      readonly status?: ReplicationStatus;
      /** A status this monitor does not know (kept verbatim): the caller logs it and keeps the version pending. */
      readonly unknownStatus?: string;
      readonly bytes?: number;
      readonly lastModified?: number;
    }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'forbidden' };

export interface ObjectInspector {
  /** HeadObject of one version (`x-amz-replication-status`). Other errors (throttling, 5xx) throw. */
  head(bucket: string, key: string, versionId: string): Promise<HeadResult>;
  /** The version a write without `x-amz-version-id` created: the version last modified closest to `at` (±2 s). */
  resolveVersion(bucket: string, key: string, at: number): Promise<string | undefined>;
}

const STATUSES: ReadonlySet<string> = new Set(['PENDING', 'COMPLETED', 'FAILED', 'REPLICA']);
/** CloudTrail times have one-second resolution, S3's Last-Modified too. */
const SAME_WRITE_MILLIS = 2000;

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/** Hands out an S3 client per bucket: the monitor's own credentials, or the agent role of a remote account's bucket. */
export class S3ClientsByBucket {
  private readonly own: S3Client;
  private readonly byRole = new Map<string, S3Client>();

  constructor(
    private readonly agentRoles: Readonly<Record<string, string>>,
    private readonly config: S3ClientConfig = {},
    private readonly sts: STSClient = new STSClient({}),
  ) {
    this.own = new S3Client(config);
  }

  for(bucket: string): S3Client {
    const role = this.agentRoles[bucket];
    if (!role) return this.own;
    let client = this.byRole.get(role);
    if (!client) {
      client = new S3Client({ ...this.config, credentials: assumedRoleCredentials(this.sts, role) });
      this.byRole.set(role, client);
    }
    return client;
  }
}

/** A credential provider that assumes `roleArn` and reuses the credentials until 5 minutes before they expire. */
function assumedRoleCredentials(sts: STSClient, roleArn: string, sessionName = 'crr-monitor-sweep') {
  let cached: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } | undefined;
  let inflight: Promise<NonNullable<typeof cached>> | undefined;
  return async () => {
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached;
    inflight ??= (async () => {
      try {
        const { Credentials: c } = await sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 3600 }),
        );
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
        cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
        return cached;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
}

export class S3ObjectInspector implements ObjectInspector {
  constructor(private readonly clients: { for(bucket: string): S3Client }) {}

  async head(bucket: string, key: string, versionId: string): Promise<HeadResult> {
    try {
      const out = await this.clients.for(bucket).send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
      const raw = out.ReplicationStatus as string | undefined;
      // The SDK's enum has COMPLETE beside COMPLETED: the same status.
      const status = raw === 'COMPLETE' ? 'COMPLETED' : raw && STATUSES.has(raw) ? (raw as ReplicationStatus) : undefined;
      return {
        outcome: 'found',
        ...(status ? { status } : raw ? { unknownStatus: raw } : {}),
        ...(out.ContentLength !== undefined ? { bytes: out.ContentLength } : {}),
        ...(out.LastModified ? { lastModified: out.LastModified.getTime() } : {}),
      };
    } catch (error) {
      const code = httpStatus(error);
      if (code === 404) return { outcome: 'not-found' };
      if (code === 403) return { outcome: 'forbidden' };
      throw error;
    }
  }

  async resolveVersion(bucket: string, key: string, at: number): Promise<string | undefined> {
    const client = this.clients.for(bucket);
    // Usually the write is still the current version: one HeadObject settles it.
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      if (out.VersionId && out.LastModified && Math.abs(out.LastModified.getTime() - at) <= SAME_WRITE_MILLIS) return out.VersionId;
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
    // Otherwise look through the key's versions for the one written at that time.
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 100 }));
    let best: { id: string; distance: number } | undefined;
    for (const v of page.Versions ?? []) {
      if (v.Key !== key || !v.VersionId || !v.LastModified) continue;
      const distance = Math.abs(v.LastModified.getTime() - at);
      if (distance <= SAME_WRITE_MILLIS && (!best || distance < best.distance)) best = { id: v.VersionId, distance };
    }
    return best?.id;
  }
}
