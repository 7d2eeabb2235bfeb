/**
 * The inventory bucket for the reconcile handler (lambda/reconcile): read a manifest, list folders, test that a key
 * exists, write a report, stream a Batch Operations manifest of any length. No version IDs (inventory files are never
 * overwritten), so no s3:GetObjectVersion. A long manifest goes up as a multipart upload, one part at a time, so the
 * handler's memory holds one part (8 MiB), never the whole list; a failed upload is aborted.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3's smallest part (but the last) is 5 MiB; 8 MiB parts stay well inside the 10,000-part limit up to 80 GB. */
const PART_BYTES = 8 * 1024 * 1024;
import type { InventoryStore } from '../reconcile/reconcile';

export class S3InventoryStore implements InventoryStore {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly partBytes = PART_BYTES,
  ) {}

  async getJson(bucket: string, key: string): Promise<unknown> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString('utf-8')) ?? '';
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`s3://${bucket}/${key} is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  async folders(bucket: string, prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return folders;
  }

  async exists(bucket: string, key: string): Promise<boolean> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    return (page.Contents ?? []).some((o) => o.Key === key);
  }

  async put(bucket: string, key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async putLines(bucket: string, key: string, lines: AsyncIterable<string>, contentType: string): Promise<number> {
    let chunks: Buffer[] = [];
    let size = 0;
    let count = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const flush = async () => {
      if (uploadId === undefined) {
        const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
        if (!created.UploadId) throw new Error(`CreateMultipartUpload s3://${bucket}/${key} returned no UploadId`);
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const out = await this.s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: Buffer.concat(chunks) }),
      );
      parts.push({ PartNumber, ETag: out.ETag });
      chunks = [];
      size = 0;
    };
    try {
      for await (const line of lines) {
        const bytes = Buffer.from(line, 'utf8');
        chunks.push(bytes);
        size += bytes.length;
        count++;
        if (size >= this.partBytes) await flush();
      }
      if (uploadId === undefined) {
        await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(chunks), ContentType: contentType }));
        return count;
      }
      if (size > 0) await flush();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
      return count;
    } catch (error) {
      if (uploadId !== undefined) await this.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      throw error;
    }
  }
}
