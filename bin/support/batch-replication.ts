/**
 * S3 Batch Operations for `redrive`: the CSV manifest of the versions to replicate again and the S3 Batch
 * Replication job (`S3ReplicateObject`) over it.
 *
 * Manifest format S3BatchOperations_CSV_20180820, columns `bucket,key,versionId`. "The contents of the manifest must
 * be URL encoded" (Amazon S3 User Guide, S3 Batch Operations basics, "Specifying a manifest":
 * https://docs.aws.amazon.com/AmazonS3/latest/dev/batch-ops-basics.html). The key is percent-encoded as
 * UTF-8 with encodeURIComponent, and also `!'()*`: what is left is unreserved characters only, so no reading of the
 * encoding (`+` as space or not, `/` encoded or not) can decode it to another key, and no comma or newline is left to
 * break the CSV. Version IDs and bucket names are written as they are (see VERSION_ID).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, type CreateJobCommandInput, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as readline from 'node:readline';

const MANIFEST_FORMAT = 'S3BatchOperations_CSV_20180820';

// The manifest lines are pure (lambda/core/batch-manifest.ts): the cloud reconcile (lambda/reconcile) writes the same.
import { manifestLine, VERSION_ID } from '../../lambda/core/batch-manifest';
export { encodeManifestKey, manifestLine } from '../../lambda/core/batch-manifest';

export interface ReplicationJobRequest {
  readonly accountId: string;
  readonly partition: string;
  readonly source: string;
  readonly destination: string;
  readonly reportBucket: string;
  readonly roleArn: string;
  /** The manifest file written by redrive: uploaded as a stream (its length known), never held in memory. */
  readonly manifestFile: string;
  readonly count: number;
  /** Names the manifest and the report prefix (e.g. 2026-11-20T10-30-00Z). */
  readonly stamp: string;
}

/** Where the manifest and the completion report go in the report bucket. */
const redrivePrefix = (source: string, destination: string, stamp: string) => `crr-monitor/redrive/${source}/${destination}/${stamp}`;

/** The CreateJob request for a manifest uploaded as `manifestKey` with `etag`. */
export function createJobInput(request: ReplicationJobRequest, manifestKey: string, etag: string, token: string): CreateJobCommandInput {
  const arn = (resource: string) => `arn:${request.partition}:s3:::${resource}`;
  return {
    AccountId: request.accountId,
    ConfirmationRequired: false,
    Operation: { S3ReplicateObject: {} },
    Manifest: {
      Spec: { Format: MANIFEST_FORMAT, Fields: ['Bucket', 'Key', 'VersionId'] },
      // CreateJob wants the ETag without the quotes PutObject returns it in.
      Location: { ObjectArn: arn(`${request.reportBucket}/${manifestKey}`), ETag: etag.replace(/^"|"$/g, '') },
    },
    Report: {
      Enabled: true,
      Bucket: arn(request.reportBucket),
      Prefix: redrivePrefix(request.source, request.destination, request.stamp),
      Format: 'Report_CSV_20180820',
      ReportScope: 'AllTasks',
    },
    Priority: 10,
    RoleArn: request.roleArn,
    ClientRequestToken: token,
    Description: `crr-monitor redrive ${request.source} -> ${request.destination}: ${request.count} versions`.slice(0, 256),
  };
}

/** Uploads the manifest to the report bucket and creates the job; returns the job ID and where the manifest went. */
export async function startReplicationJob(
  request: ReplicationJobRequest,
  clients: { s3: S3Client; s3control: S3ControlClient },
): Promise<{ jobId: string; manifestKey: string }> {
  const manifestKey = `${redrivePrefix(request.source, request.destination, request.stamp)}/manifest.csv`;
  const body = fs.createReadStream(request.manifestFile);
  let put;
  try {
    put = await clients.s3.send(
      new PutObjectCommand({
        Bucket: request.reportBucket,
        Key: manifestKey,
        Body: body,
        ContentLength: fs.statSync(request.manifestFile).size,
        ContentType: 'text/csv',
      }),
    );
  } finally {
    body.destroy(); // a failed upload may not have read it to the end
  }
  if (!put.ETag) throw new Error(`PutObject s3://${request.reportBucket}/${manifestKey} returned no ETag`);
  const job = await clients.s3control.send(new CreateJobCommand(createJobInput(request, manifestKey, put.ETag, randomUUID())));
  if (!job.JobId) throw new Error('CreateJob returned no JobId');
  return { jobId: job.JobId, manifestKey };
}

/**
 * Streams a manifest of `bucket`'s versions to `file` (or, without one, to `out`), one line per version in the order
 * given; resolves to the count. What `redrive` and `reconcile --manifest` write.
 */
export async function writeManifest(
  selection: AsyncIterable<{ key: string; versionId: string }>,
  bucket: string,
  file: string | undefined,
  out: (text: string) => void,
): Promise<number> {
  const stream = file !== undefined ? fs.createWriteStream(file) : undefined;
  let count = 0;
  try {
    for await (const version of selection) {
      const line = manifestLine(bucket, version.key, version.versionId);
      count++;
      if (!stream) out(line);
      else if (!stream.write(line)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
  } finally {
    if (stream) await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return count;
}

/** A key as encodeManifestKey writes it: unreserved characters and percent-escapes only. */
const ENCODED_KEY = /^(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+$/;

/**
 * Checks a manifest written by `writeManifest` (e.g. `reconcile --manifest`) line by line, streaming: every line
 * `bucket,key,versionId` with `bucket` the given source, the key encoded as encodeManifestKey does, a version ID S3
 * would give. Resolves to the number of lines; throws naming the file and the first bad line.
 */
export async function readManifestFile(file: string, bucket: string): Promise<number> {
  let stream: fs.ReadStream;
  try {
    fs.accessSync(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { encoding: 'utf8' });
  } catch {
    throw new Error(`${file}: cannot be read`);
  }
  let count = 0;
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      count++;
      const fields = line.split(',');
      const problem =
        fields.length !== 3
          ? 'expected bucket,key,versionId'
          : fields[0] !== bucket
            ? `bucket ${fields[0]}, not the pair's source ${bucket}`
            : !ENCODED_KEY.test(fields[1])
              ? 'the key is not URL-encoded as a Batch Operations manifest needs'
              : !VERSION_ID.test(fields[2])
                ? `version ID ${JSON.stringify(fields[2])} is not one S3 would give`
                : undefined;
      if (problem) throw new Error(`${file} line ${count}: ${problem}`);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return count;
}
