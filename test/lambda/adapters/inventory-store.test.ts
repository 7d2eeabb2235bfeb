/**
 * S3InventoryStore.putLines: a short manifest is one PutObject; a long one a multipart upload, one part in memory at a
 * time, completed with every part's number and ETag, aborted when anything fails (aws-sdk-client-mock).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3InventoryStore } from '../../../lambda/adapters/inventory-store';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

async function* lines(n: number) {
  for (let i = 0; i < n; i++) yield `src,key-${String(i).padStart(3, '0')},v${i}\n`; // 15 bytes each
}
const store = (partBytes: number) => new S3InventoryStore(new S3Client({ region: 'us-east-1' }), partBytes);

test('a manifest shorter than a part is one PutObject', async () => {
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
  expect(await store(1000).putLines('inv', 'runs/m.csv', lines(3), 'text/csv')).toBe(3);
  const [put] = s3.commandCalls(PutObjectCommand);
  expect(put.args[0].input).toMatchObject({ Bucket: 'inv', Key: 'runs/m.csv', ContentType: 'text/csv' });
  expect(String(put.args[0].input.Body)).toBe('src,key-000,v0\nsrc,key-001,v1\nsrc,key-002,v2\n');
  expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
});

test('a longer one goes up part by part, each part whole lines, completed in order', async () => {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  // 10 lines of 15 bytes, parts of at least 40 bytes: 45, 45, 45, 15.
  expect(await store(40).putLines('inv', 'runs/m.csv', lines(10), 'text/csv')).toBe(10);
  const parts = s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
  expect(parts.map((p) => [p.PartNumber, p.UploadId, String(p.Body).split('\n').length - 1])).toEqual([
    [1, 'u1', 3],
    [2, 'u1', 3],
    [3, 'u1', 3],
    [4, 'u1', 1],
  ]);
  expect(parts.map((p) => String(p.Body)).join('')).toBe([...Array(10).keys()].map((i) => `src,key-00${i},v${i}\n`).join(''));
  expect(s3.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input).toEqual({
    Bucket: 'inv',
    Key: 'runs/m.csv',
    UploadId: 'u1',
    MultipartUpload: { Parts: [1, 2, 3, 4].map((n) => ({ PartNumber: n, ETag: `"p${n}"` })) },
  });
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
});

test('a failure mid-way aborts the upload and is thrown', async () => {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
  s3.on(UploadPartCommand).resolvesOnce({ ETag: '"p1"' }).rejects(new Error('SlowDown'));
  s3.on(AbortMultipartUploadCommand).resolves({});
  await expect(store(40).putLines('inv', 'runs/m.csv', lines(10), 'text/csv')).rejects.toThrow('SlowDown');
  expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
    { Bucket: 'inv', Key: 'runs/m.csv', UploadId: 'u2' },
  ]);
  expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
});
