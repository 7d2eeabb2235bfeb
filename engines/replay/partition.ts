/**
 * Which worker thread owns an object version: a hash of `(key, versionId)`. Every change to a version goes to its
 * owner, whichever worker parsed the event, so each version's record is merged in one place and stays exact.
 */

/** FNV-1a (32-bit) over the key, a separator no key holds (U+0000 cannot appear in an S3 key), and the version ID. */
export function versionHash(key: string, versionId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash, 0x01000193); // the separator (0)
  for (let i = 0; i < versionId.length; i++) hash = Math.imul(hash ^ versionId.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The owner, among `workers`, of the version `(key, versionId)`. */
export const ownerOf = (key: string, versionId: string, workers: number): number => versionHash(key, versionId) % workers;
