import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FAILURE_CLASSES, FAILURE_REASONS, failureClassOf, failureHint, isKnownS3Operation } from '../../../lambda/core/failures';

/**
 * The reasons of the S3 User Guide's table "Amazon S3 replication failure reasons", in its versions of 2022, 2023 and
 * now (awsdocs/amazon-s3-userguide doc_source/replication-failure-codes.md, and the current
 * docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html): their union, typed out here so that
 * the table in failures.ts cannot lose one silently.
 */
const DOCUMENTED = [
  'AssumeRoleNotPermitted',
  'DstBucketInvalidRegion',
  'DstBucketNotFound',
  'DstBucketObjectLockConfigMissing',
  'DstBucketUnversioned',
  'DstDelObjNotPermitted',
  'DstKmsKeyInvalidState',
  'DstKmsKeyNotFound',
  'DstMultipartCompleteNotPermitted',
  'DstMultipartInitNotPermitted',
  'DstMultipartUploadNotPermitted',
  'DstMultipartPartUploadNotPermitted',
  'DstObjectHardDeleted',
  'DstPutAclNotPermitted',
  'DstPutLegalHoldNotPermitted',
  'DstPutObjectNotPermitted',
  'DstPutRetentionNotPermitted',
  'DstPutTaggingNotPermitted',
  'DstVersionNotFound',
  'InitiateReplicationNotPermitted',
  'SrcBucketInvalidRegion',
  'SrcBucketNotFound',
  'SrcBucketReplicationConfigMissing',
  'SrcGetAclNotPermitted',
  'SrcGetLegalHoldNotPermitted',
  'SrcGetObjectNotPermitted',
  'SrcGetRetentionNotPermitted',
  'SrcGetTaggingNotPermitted',
  'SrcHeadObjectNotPermitted',
  'SrcKeyNotFound',
  'SrcKmsKeyInvalidState',
  'SrcObjectNotEligible',
  'SrcObjectNotFound',
  'SrcReplicationNotPending',
  'SrcVersionNotFound',
];

describe('failure classes', () => {
  it('knows every reason of the docs table, with both spellings of the multipart upload reason, and nothing else', () => {
    expect(Object.keys(FAILURE_REASONS).sort()).toEqual([...DOCUMENTED].sort());
  });

  it('classes the reasons as issue 15 and docs/report-schema.md say', () => {
    const byClass = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, DOCUMENTED.filter((r) => failureClassOf(r) === c).sort()] as const));
    expect(byClass.metadata).toEqual([
      'DstPutAclNotPermitted',
      'DstPutLegalHoldNotPermitted',
      'DstPutRetentionNotPermitted',
      'DstPutTaggingNotPermitted',
      'DstVersionNotFound',
    ]);
    expect(byClass.deleteMarker).toEqual(['DstDelObjNotPermitted']);
    expect(byClass.sourceDeleted).toEqual(['SrcKeyNotFound', 'SrcObjectNotFound', 'SrcVersionNotFound']);
    expect(byClass.data).toContain('DstMultipartUploadNotPermitted');
    expect(byClass.data).toContain('DstMultipartPartUploadNotPermitted');
    expect(byClass.data).toHaveLength(DOCUMENTED.length - 9);
  });

  it('takes an unknown reason for data, compares verbatim, and never reads inherited properties as reasons', () => {
    expect(failureClassOf('DstSomethingNewNotPermitted')).toBe('data');
    expect(failureClassOf('dstputtaggingnotpermitted')).toBe('data');
    expect(failureClassOf('constructor')).toBe('data');
    expect(failureClassOf('__proto__')).toBe('data');
    expect(failureHint('constructor')).toMatch(/not a reason the S3 docs list/);
  });

  it('makes a notice about another operation than OBJECT_PUT a non-data failure, keeping the named classes', () => {
    expect(failureClassOf('DstPutObjectNotPermitted', 'OBJECT_PUT')).toBe('data');
    expect(failureClassOf('DstPutObjectNotPermitted', 'SOME_FUTURE_OPERATION')).toBe('metadata');
    expect(failureClassOf('AssumeRoleNotPermitted', 'SOME_FUTURE_OPERATION')).toBe('metadata');
    expect(failureClassOf('DstDelObjNotPermitted', 'SOME_FUTURE_OPERATION')).toBe('deleteMarker');
    expect(failureClassOf('SrcVersionNotFound', 'SOME_FUTURE_OPERATION')).toBe('sourceDeleted');
    expect(isKnownS3Operation('OBJECT_PUT')).toBe(true);
    expect(isKnownS3Operation('SOME_FUTURE_OPERATION')).toBe(false);
  });

  it('has a hint for every reason naming what to change, and for the monitor-made ReplicationStatusFailed', () => {
    for (const reason of DOCUMENTED) expect(failureHint(reason).length).toBeGreaterThan(20);
    expect(failureHint('DstPutObjectNotPermitted')).toMatch(/s3:ReplicateObject/);
    expect(failureHint('DstDelObjNotPermitted')).toMatch(/s3:ReplicateDelete/);
    expect(failureHint('DstPutRetentionNotPermitted')).toMatch(/s3:PutObjectRetention/);
    expect(failureHint('DstPutLegalHoldNotPermitted')).toMatch(/s3:PutObjectLegalHold/);
    expect(failureHint('SrcGetObjectNotPermitted')).toMatch(/s3:GetObjectVersionForReplication/);
    expect(failureHint('ReplicationStatusFailed')).toMatch(/HeadObject/);
  });
});

describe('docs/failures.md', () => {
  it('lists every reason with its class and hint, as lambda/core/failures.ts has them', () => {
    const doc = readFileSync(path.join(__dirname, '../../../docs/failures.md'), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `(\w+)`\s*\| (\w+)\s*\| (.*?)\s*\|$/gm)].map(([, reason, cls, hint]) => [reason, { cls, hint }] as const),
    );
    expect([...rows.keys()].sort()).toEqual(Object.keys(FAILURE_REASONS).sort());
    for (const [reason, { cls, hint }] of rows) {
      expect([reason, cls, hint.replace(/\\\|/g, '|')]).toEqual([reason, FAILURE_REASONS[reason].class, FAILURE_REASONS[reason].hint]);
    }
  });
});
