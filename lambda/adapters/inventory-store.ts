/**
 * The inventory bucket for the reconcile handler (lambda/reconcile): read a manifest, list folders, test that a key
 * exists, write a report. Only GetObject, ListObjectsV2 and PutObject: no version IDs (inventory files are never
 * overwritten), so no s3:GetObjectVersion.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { InventoryStore } from '../reconcile/reconcile';

export class S3InventoryStore implements InventoryStore {
  constructor(private readonly s3: Pick<S3Client, 'send'>) {}

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
}
