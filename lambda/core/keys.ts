/**
 * S3 event notifications URL-encode object keys form-style: '+' is a space and '%2B' a plus.
 * CloudTrail keys are plain and must never go through this.
 * Throws URIError on a malformed escape, which callers turn into a rejection.
 */
export function decodeNotificationKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** `arn:aws:s3:::bucket` → `bucket`; a plain name is returned as it is. */
export function bucketFromArn(value: string): string {
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf(':') + 1) : value;
}
