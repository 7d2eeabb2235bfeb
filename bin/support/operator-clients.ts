/**
 * SDK clients for the operator commands (status, redrive, doctor), one per service and region, created on first use.
 * They use the SDK's standard credential chain and honour AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> natively
 * (@smithy/core's getEndpointUrlConfig reads both), so the commands run against emulators unchanged.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';

export class OperatorClients {
  private readonly cache = new Map<string, unknown>();

  /** `defaultRegion`: --region, else AWS_REGION / AWS_DEFAULT_REGION, else the config's monitor region. */
  constructor(readonly defaultRegion: string) {}

  private get<T>(service: string, region: string | undefined, make: (region: string) => T): T {
    const r = region ?? this.defaultRegion;
    const id = `${service}\u0000${r}`;
    let client = this.cache.get(id) as T | undefined;
    if (!client) {
      client = make(r);
      this.cache.set(id, client);
    }
    return client;
  }

  // followRegionRedirects: a bucket in another region answers 301; the client retries there instead of failing.
  s3 = (region?: string) => this.get('s3', region, (r) => new S3Client({ region: r, followRegionRedirects: true }));
  s3control = (region?: string) => this.get('s3control', region, (r) => new S3ControlClient({ region: r }));
  cloudtrail = (region?: string) => this.get('cloudtrail', region, (r) => new CloudTrailClient({ region: r }));
  cloudformation = (region?: string) => this.get('cloudformation', region, (r) => new CloudFormationClient({ region: r }));
  dynamodb = (region?: string) => this.get('dynamodb', region, (r) => new DynamoDBClient({ region: r }));
  sts = (region?: string) => this.get('sts', region, (r) => new STSClient({ region: r }));
}

/** The region the commands use when neither --region nor the config names one. */
export function environmentRegion(): string | undefined {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
}

/** An SDK error as `Name: message` plus its HTTP status, for messages that say what failed. */
export function describeError(error: unknown): { error: string; httpStatus?: number } {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name && e.name !== 'Error' ? e.name : e?.Code;
  const message = e?.message && e.message !== name ? e.message : '';
  const text = ([name, message].filter(Boolean).join(': ') || String(error)).replace(/\s*\n\s*/g, ' ');
  return { error: text, ...(e?.$metadata?.httpStatusCode !== undefined ? { httpStatus: e.$metadata.httpStatusCode } : {}) };
}

/**
 * A table-read error the operator can act on, as one sentence: a missing table or index (a table created before the
 * due/attention layout, or the wrong --table / --region). Undefined for anything else (thrown as it is).
 */
export function tableProblem(error: unknown, tableName: string): string | undefined {
  const { name, message } = error as { name?: string; message?: string };
  if (name === 'ResourceNotFoundException') return `table ${tableName} was not found (wrong --table, --stack or --region?)`;
  if (name === 'ValidationException' && /specified index/.test(message ?? '')) {
    return `table ${tableName} lacks the due/attention indexes these commands read (${message}): deploy the current MonitorStack`;
  }
  return undefined;
}
