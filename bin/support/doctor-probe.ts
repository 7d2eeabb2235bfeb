/**
 * Gathers what `doctor` checks (SetupFacts) from the live account, read-only: per bucket GetBucketLocation,
 * GetBucketVersioning, ListBucketInventoryConfigurations (every page), and for sources GetBucketReplication and
 * GetBucketNotificationConfiguration (every bucket's with intake notifications or eventbridge, and the reconcile's
 * inventory bucket's); per region
 * DescribeTrails (shadow trails included) then GetEventSelectors and GetTrailStatus per trail in its home region;
 * DescribeStacks per expected stack; AssumeRole of each agent read role. An error is recorded as that check's
 * answer, never thrown: one unreadable bucket must not hide the rest of the report.
 */
import {
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  ListBucketInventoryConfigurationsCommand,
  type InventoryConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { localBuckets, partitionOf, sourceAccounts, type MonitorConfig } from '../../lambda/shared/config';
import { mapLimit } from '../../lambda/shared/concurrency';
import { agentRoleName, roleArn } from '../../lib/names';
import { expectedStacks, type BucketFacts, type Probe, type SetupFacts, type StackFacts, type TrailFacts } from './doctor-checks';
import { describeError, type OperatorClients } from './operator-clients';

/** Calls in flight at once: enough to be quick on tens of buckets, few enough not to be throttled. */
const CONCURRENCY = 8;

async function probe<T>(call: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, ...describeError(error) };
  }
}

/** GetBucketLocation's LocationConstraint → region: null/empty is us-east-1, the legacy `EU` is eu-west-1. */
export function regionOfLocation(constraint: string | undefined | null): string {
  if (!constraint) return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
}

export async function gatherFacts(config: MonitorConfig, clients: OperatorClients): Promise<SetupFacts> {
  const home = config.monitorRegion;
  const identity = await clients.sts(home).send(new GetCallerIdentityCommand({}));
  const callerAccount = identity.Account ?? '';
  const monitorAccount = config.monitorAccount ?? callerAccount;

  const sources = new Set(config.replication.map((r) => r.source));
  const remoteSources = new Set(config.replication.filter((r) => r.sourceAccount).map((r) => r.source));
  const buckets = [...new Set([...localBuckets(config), ...remoteSources])].sort();
  const bucketFacts: Record<string, BucketFacts> = {};
  await mapLimit(buckets, CONCURRENCY, async (bucket) => {
    const region = await probe(async () =>
      regionOfLocation((await clients.s3(home).send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint),
    );
    const s3 = clients.s3(region.ok ? region.value : home);
    const versioning = await probe(
      async () => (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status as string | undefined,
    );
    const inventory = await probe(() => inventoryConfigurations(s3, bucket));
    const facts: { -readonly [K in keyof BucketFacts]: BucketFacts[K] } = { region, versioning, inventory };
    if (sources.has(bucket)) {
      facts.replication = await probe(async () => {
        const out = await s3.send(new GetBucketReplicationCommand({ Bucket: bucket }));
        return out.ReplicationConfiguration ?? { Role: undefined, Rules: [] };
      });
    }
    // The source's s3:Replication:* (local sources), and with intake notifications/eventbridge every bucket's object creations.
    if ((sources.has(bucket) && !remoteSources.has(bucket)) || config.intake !== 'cloudtrail')
      facts.notifications = await probe(() => s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })));
    bucketFacts[bucket] = facts;
  });

  // Only the cloudtrail intake reads a trail: the other modes need no CloudTrail call (nor its permission).
  const trails: Probe<TrailFacts[]> =
    config.intake === 'cloudtrail' ? await probe(() => gatherTrails([home, ...config.regions], clients)) : { ok: true, value: [] };

  const stacks: StackFacts[] = [];
  await mapLimit(expectedStacks(config, monitorAccount), CONCURRENCY, async (stack) => {
    const status =
      stack.account === callerAccount
        ? await probe(async () => {
            const out = await clients.cloudformation(stack.region).send(new DescribeStacksCommand({ StackName: stack.name }));
            const found = out.Stacks?.[0]?.StackStatus;
            if (!found) throw Object.assign(new Error(`Stack with id ${stack.name} does not exist`), { name: 'ValidationError' });
            return found as string;
          })
        : undefined;
    stacks.push({ ...stack, ...(status ? { status } : {}) });
  });
  const order = expectedStacks(config, monitorAccount).map((s) => `${s.name}@${s.region}`);
  stacks.sort((a, b) => order.indexOf(`${a.name}@${a.region}`) - order.indexOf(`${b.name}@${b.region}`));

  const agentRoles: Record<string, Probe<true>> = {};
  for (const account of sourceAccounts(config)) {
    const arn = roleArn(partitionOf(home), account, agentRoleName(home));
    agentRoles[account] = await probe(async () => {
      await clients.sts(home).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'crr-monitor-doctor', DurationSeconds: 900 }));
      return true as const;
    });
  }
  const inventoryBucket = config.reconcile?.inventoryBucket;
  const inventoryBucketNotifications = inventoryBucket
    ? await probe(() => clients.s3(home).send(new GetBucketNotificationConfigurationCommand({ Bucket: inventoryBucket })))
    : undefined;
  return {
    callerAccount,
    monitorAccount,
    buckets: bucketFacts,
    trails,
    stacks,
    agentRoles,
    ...(inventoryBucketNotifications ? { inventoryBucketNotifications } : {}),
  };
}

/** Every inventory configuration of a bucket: S3 returns at most 100 per page (a bucket may have 1,000). */
async function inventoryConfigurations(s3: S3Client, bucket: string): Promise<InventoryConfiguration[]> {
  const all: InventoryConfiguration[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: bucket, ContinuationToken: token }));
    all.push(...(out.InventoryConfigurationList ?? []));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return all;
}

async function gatherTrails(regions: readonly string[], clients: OperatorClients): Promise<TrailFacts[]> {
  const byArn = new Map<string, { name: string; homeRegion: string; multiRegion: boolean }>();
  for (const region of [...new Set(regions)]) {
    const out = await clients.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    for (const t of out.trailList ?? []) {
      if (!t.TrailARN || byArn.has(t.TrailARN)) continue;
      byArn.set(t.TrailARN, { name: t.Name ?? t.TrailARN, homeRegion: t.HomeRegion ?? region, multiRegion: t.IsMultiRegionTrail === true });
    }
  }
  const trails: TrailFacts[] = [];
  await mapLimit([...byArn.entries()], CONCURRENCY, async ([arn, trail]) => {
    // Selectors and status are read in the trail's home region, by ARN (a shadow trail's own region refuses them).
    const client = clients.cloudtrail(trail.homeRegion);
    const selectors = await probe(async () => {
      const out = await client.send(new GetEventSelectorsCommand({ TrailName: arn }));
      return { basic: out.EventSelectors ?? [], advanced: out.AdvancedEventSelectors ?? [] };
    });
    const logging = await probe(async () => (await client.send(new GetTrailStatusCommand({ Name: arn }))).IsLogging === true);
    trails.push({ arn, ...trail, selectors, logging });
  });
  return trails.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}
