/**
 * S3 event notifications URL-encode object keys form-style: '+' is a space and '%2B' a plus.
 * CloudTrail keys are plain and must never go through this.
 * Throws URIError on a malformed escape, which callers turn into a rejection.
 */
export function decodeNotificationKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** The inverse, as S3 writes it, for building notifications in tests and the demo workload. */
export function encodeNotificationKey(plain: string): string {
  return encodeURIComponent(plain).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** `arn:aws:s3:::bucket` → `bucket`; a plain name is returned as it is. */
export function bucketFromArn(value: string): string {
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf(':') + 1) : value;
}
