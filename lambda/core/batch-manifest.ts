/**
 * The lines of an S3 Batch Operations CSV manifest (format S3BatchOperations_CSV_20180820, `bucket,key,versionId`),
 * shared by `redrive` (bin/support/batch-replication.ts) and the cloud reconcile (lambda/reconcile). Pure.
 *
 * "The contents of the manifest must be URL encoded" (Amazon S3 User Guide, S3 Batch Operations basics, "Specifying a
 * manifest"). The key is percent-encoded as UTF-8 with encodeURIComponent, and also `!'()*`: what is left is
 * unreserved characters only, so no reading of the encoding (`+` as space or not, `/` encoded or not) can decode it
 * to another key, and no comma or newline is left to break the CSV. Version IDs and bucket names are written as they
 * are (see VERSION_ID).
 */

/** A key as Batch Operations reads it from a CSV manifest. */
export function encodeManifestKey(key: string): string {
  return encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Version IDs as S3 writes them: today 32 URL-safe characters, in older documentation also base64 (`+`, `/`, `=`).
 * They are written as they are (the User Guide's manifest example has the version ID unencoded); anything that
 * could end the CSV field or line is refused rather than guessed at.
 */
export const VERSION_ID = /^[A-Za-z0-9._+/=-]+$/;

/** One manifest line (with its newline). Throws on a version ID that could not be written unquoted. */
export function manifestLine(bucket: string, key: string, versionId: string): string {
  if (!VERSION_ID.test(versionId)) throw new Error(`version ID ${JSON.stringify(versionId)} of ${key}: not a version ID S3 would give`);
  return `${bucket},${encodeManifestKey(key)},${versionId}\n`;
}
