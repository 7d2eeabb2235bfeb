/**
 * `crr-monitor doctor`'s checks, as pure functions over what the AWS APIs answered (`SetupFacts`, gathered by
 * doctor-probe.ts). No SDK calls here: the tests feed these functions the response shapes the APIs really return
 * (GetBucketReplication with V1 `Prefix` rules and V2 `Filter`/`And`/`Tag` rules, GetEventSelectors with basic or
 * advanced selectors, GetBucketNotificationConfiguration's TopicConfigurations, DescribeStacks).
 *
 * Every check says pass / warn / fail / skip, what it saw, and for anything but pass the fix. `warn` is for a setup
 * that works but monitors less than it could (a rule filtered to a prefix, a trail that logs only some keys);
 * `skip` for what these credentials cannot see (another account's buckets and stacks). Only `fail` fails doctor.
 */
import type { InventoryConfiguration, NotificationConfiguration, ReplicationConfiguration, ReplicationRule } from '@aws-sdk/client-s3';
import type { AdvancedEventSelector, AdvancedFieldSelector, EventSelector } from '@aws-sdk/client-cloudtrail';
import { localBuckets, partitionOf, replicationPairs, sourceAccounts, type MonitorConfig } from '../../lambda/shared/config';
import { OBJECT_WRITE_OPERATIONS } from '../../lambda/core/types';
import { agentRoleName, agentStackName, forwarderStackName, forwarderTopicName, MONITOR_STACK_NAME, roleArn } from '../../lib/names';

type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  readonly check:
    | 'versioning'
    | 'replication-rule'
    | 'replication-metrics'
    | 'notifications'
    | 'intake'
    | 'inventory'
    | 'reconcile-trigger'
    | 'trail'
    | 'stack'
    | 'agent-role';
  /** What was checked: a bucket, a pair `SRC → DST`, a stack, a role. */
  readonly subject: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/** One API answer: the value, or the error it gave (name/code and HTTP status, as the SDK reports them). */
export type Probe<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly httpStatus?: number };

export interface BucketFacts {
  /** GetBucketLocation, normalised (null/'' → us-east-1, EU → eu-west-1). */
  readonly region: Probe<string>;
  /** GetBucketVersioning `Status` (undefined: never enabled). */
  readonly versioning: Probe<string | undefined>;
  /** Source buckets only: GetBucketReplication (`ReplicationConfigurationNotFoundError` stays an error). */
  readonly replication?: Probe<ReplicationConfiguration>;
  /**
   * GetBucketNotificationConfiguration: of local source buckets, and with intake `notifications` or `eventbridge` of
   * every configured bucket (remote sources too, which these credentials may not be allowed to read).
   */
  readonly notifications?: Probe<NotificationConfiguration>;
  /** ListBucketInventoryConfigurations, every page (an empty list when the bucket has none). */
  readonly inventory?: Probe<InventoryConfiguration[]>;
}

export interface TrailFacts {
  readonly arn: string;
  readonly name: string;
  readonly homeRegion: string;
  readonly multiRegion: boolean;
  /** GetTrailStatus `IsLogging`. */
  readonly logging: Probe<boolean>;
  readonly selectors: Probe<{ basic: EventSelector[]; advanced: AdvancedEventSelector[] }>;
}

export interface StackFacts {
  readonly name: string;
  readonly region: string;
  /** Whose stack: the check is skipped when it is another account's. */
  readonly account: string;
  /** DescribeStacks `StackStatus`; an error `does not exist` when there is none. */
  readonly status?: Probe<string>;
}

export interface SetupFacts {
  /** STS GetCallerIdentity: the account these credentials belong to. */
  readonly callerAccount: string;
  /** The monitor account: the config's monitorAccount, else the caller's. */
  readonly monitorAccount: string;
  readonly buckets: Readonly<Record<string, BucketFacts>>;
  /** DescribeTrails (shadow trails included) over the monitored regions, each trail once. */
  readonly trails: Probe<TrailFacts[]>;
  readonly stacks: readonly StackFacts[];
  /** Remote account → AssumeRole of its agent read role. */
  readonly agentRoles: Readonly<Record<string, Probe<true>>>;
  /** With `reconcile`: GetBucketNotificationConfiguration of the inventory bucket (its EventBridge switch). */
  readonly inventoryBucketNotifications?: Probe<NotificationConfiguration>;
}

const unreadable = (probe: { ok: false; error: string; httpStatus?: number }) =>
  `${probe.error}${probe.httpStatus !== undefined ? ` (HTTP ${probe.httpStatus})` : ''}`;
const isDenied = (probe: { ok: false; error: string; httpStatus?: number }) =>
  probe.httpStatus === 403 || /AccessDenied/i.test(probe.error);

/** The bucket a replication destination names: `arn:aws:s3:::name` as S3 returns it (a bare name is accepted too). */
export function destinationBucket(rule: ReplicationRule): string | undefined {
  const bucket = rule.Destination?.Bucket;
  if (!bucket) return undefined;
  const arn = /^arn:[^:]+:s3:::([^/]+)$/.exec(bucket);
  return arn ? arn[1] : bucket;
}

/**
 * What part of the bucket a rule replicates: undefined = every object; otherwise a description of its filter.
 * V1 rules carry `Prefix` on the rule; V2 rules a `Filter` of `Prefix`, one `Tag`, or `And` {Prefix, Tags}.
 */
export function ruleScope(rule: ReplicationRule): string | undefined {
  const parts: string[] = [];
  const filter = rule.Filter;
  const prefix = filter?.Prefix ?? filter?.And?.Prefix ?? (filter ? undefined : rule.Prefix);
  if (prefix) parts.push(`prefix '${prefix}'`);
  const tags = [...(filter?.Tag ? [filter.Tag] : []), ...(filter?.And?.Tags ?? [])];
  for (const tag of tags) parts.push(`tag ${tag.Key}=${tag.Value}`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

const ruleName = (rule: ReplicationRule) => `'${rule.ID ?? '(no ID)'}'${rule.Priority !== undefined ? ` (priority ${rule.Priority})` : ''}`;

function rulesTo(config: ReplicationConfiguration, destination: string): ReplicationRule[] {
  return (config.Rules ?? []).filter((rule) => destinationBucket(rule) === destination);
}

const replicationFix = (source: string, destination: string, partition: string) =>
  `add an enabled rule to ${source}'s replication configuration with Destination.Bucket arn:${partition}:s3:::${destination} ` +
  `(aws s3api get-bucket-replication --bucket ${source}, edit, put-bucket-replication: it replaces the whole configuration)`;

function replicationChecks(
  source: string,
  destination: string,
  facts: BucketFacts | undefined,
  remote: boolean,
  partition: string,
): Check[] {
  const subject = `${source} → ${destination}`;
  const probe = facts?.replication;
  if (!probe) return [{ check: 'replication-rule', subject, status: 'fail', detail: 'the replication configuration was not read' }];
  if (!probe.ok) {
    if (remote && isDenied(probe)) {
      const detail = `cannot read ${source}'s replication configuration with these credentials (${unreadable(probe)})`;
      return [{ check: 'replication-rule', subject, status: 'skip', detail, fix: `run doctor with the source account's credentials` }];
    }
    const none = /ReplicationConfigurationNotFound/i.test(probe.error);
    const detail = none
      ? `${source} has no replication configuration`
      : `cannot read ${source}'s replication configuration: ${unreadable(probe)}`;
    return [{ check: 'replication-rule', subject, status: 'fail', detail, fix: replicationFix(source, destination, partition) }];
  }
  const candidates = rulesTo(probe.value, destination);
  const enabled = candidates.filter((rule) => rule.Status === 'Enabled');
  if (enabled.length === 0) {
    const detail =
      candidates.length === 0
        ? `no rule of ${source} replicates to ${destination} (rules: ${(probe.value.Rules ?? []).map(ruleName).join(', ') || 'none'})`
        : `the rule(s) to ${destination} are disabled: ${candidates.map(ruleName).join(', ')}`;
    return [{ check: 'replication-rule', subject, status: 'fail', detail, fix: replicationFix(source, destination, partition) }];
  }
  const whole = enabled.filter((rule) => ruleScope(rule) === undefined);
  const ruleCheck: Check =
    whole.length > 0
      ? {
          check: 'replication-rule',
          subject,
          status: 'pass',
          detail: `every object is replicated by rule ${whole.map(ruleName).join(', ')}`,
        }
      : {
          check: 'replication-rule',
          subject,
          status: 'warn',
          detail:
            `only objects matching ${enabled.map((r) => `${ruleScope(r)} (rule ${ruleName(r)})`).join(', or ')} are replicated; ` +
            'other writes get no replication status (the monitor counts them as untracked)',
          fix: `if every object should replicate, give a rule to ${destination} an empty Filter ({})`,
        };
  // S3 applies the highest-priority rule among overlapping ones to the same destination: each enabled one must
  // have metrics, or the objects it wins have no s3:Replication:* notices.
  const withoutMetrics = enabled.filter((rule) => rule.Destination?.Metrics?.Status !== 'Enabled');
  const rtc = enabled.filter((rule) => rule.Destination?.ReplicationTime?.Status === 'Enabled').length;
  const metricsCheck: Check =
    withoutMetrics.length === 0
      ? {
          check: 'replication-metrics',
          subject,
          status: 'pass',
          detail: `replication metrics enabled on ${enabled.map(ruleName).join(', ')}${rtc > 0 ? ' (Replication Time Control on)' : ''}`,
        }
      : {
          check: 'replication-metrics',
          subject,
          status: 'fail',
          detail:
            `replication metrics are not enabled on rule ${withoutMetrics.map(ruleName).join(', ')}: ` +
            'S3 then sends no s3:Replication:* notifications (no failure reasons) and no AWS/S3 replication metrics',
          fix: `set "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}} in the rule's Destination (put-bucket-replication)`,
        };
  return [ruleCheck, metricsCheck];
}

const REPLICATION_ANY = 's3:Replication:*';
const FAILED_EVENT = 's3:Replication:OperationFailedReplication';
const OTHER_REPLICATION_EVENTS = ['OperationNotTracked', 'OperationMissedThreshold', 'OperationReplicatedAfterThreshold'];

function notificationCheck(bucket: string, facts: BucketFacts | undefined, monitorAccount: string, regions: readonly string[]): Check {
  const subject = bucket;
  if (!facts?.region.ok)
    return {
      check: 'notifications',
      subject,
      status: 'fail',
      detail: `the bucket's region is unknown: ${facts?.region.ok === false ? unreadable(facts.region) : 'not read'}`,
    };
  const region = facts.region.value;
  const topicArn = `arn:${partitionOf(region)}:sns:${region}:${monitorAccount}:${forwarderTopicName(region)}`;
  const fix =
    `add {"TopicArn": "${topicArn}", "Events": ["${REPLICATION_ANY}"]} to the bucket's TopicConfigurations ` +
    `(get-bucket-notification-configuration, merge, put-bucket-notification-configuration: it replaces the whole configuration)`;
  if (!regions.includes(region)) {
    return {
      check: 'notifications',
      subject,
      status: 'fail',
      detail: `the bucket is in ${region}, which is not in the config's regions: no forwarder topic there`,
      fix: `add '${region}' to regions and deploy CrrForwarder-${region}`,
    };
  }
  const probe = facts.notifications;
  if (!probe?.ok)
    return {
      check: 'notifications',
      subject,
      status: 'fail',
      detail: `cannot read the notification configuration: ${probe ? unreadable(probe) : 'not read'}`,
      fix,
    };
  const toTopic = (probe.value.TopicConfigurations ?? []).filter((t) => t.TopicArn === topicArn);
  const events = new Set(toTopic.flatMap((t) => (t.Events ?? []) as string[]));
  if (!events.has(REPLICATION_ANY) && !events.has(FAILED_EVENT)) {
    const elsewhere = (probe.value.TopicConfigurations ?? []).filter((t) =>
      (t.Events ?? []).some((e) => String(e).startsWith('s3:Replication:')),
    );
    const detail =
      `no s3:Replication:* (or ${FAILED_EVENT}) notification goes to ${topicArn}` +
      (elsewhere.length > 0 ? `; replication events go to ${elsewhere.map((t) => t.TopicArn).join(', ')} instead` : '');
    return { check: 'notifications', subject, status: 'fail', detail, fix };
  }
  const filtered = toTopic.filter((t) => (t.Filter?.Key?.FilterRules ?? []).length > 0);
  if (filtered.length > 0 && !toTopic.some((t) => (t.Filter?.Key?.FilterRules ?? []).length === 0)) {
    const rules = filtered.flatMap((t) => t.Filter?.Key?.FilterRules ?? []).map((r) => `${r.Name} '${r.Value}'`);
    return {
      check: 'notifications',
      subject,
      status: 'warn',
      detail: `replication notices reach the forwarder topic only for keys with ${rules.join(', ')}`,
      fix,
    };
  }
  const missing = events.has(REPLICATION_ANY) ? [] : OTHER_REPLICATION_EVENTS.filter((e) => !events.has(`s3:Replication:${e}`));
  const detail = `replication notices go to ${topicArn}${missing.length > 0 ? ` (failures only; not ${missing.join(', ')})` : ''}`;
  return { check: 'notifications', subject, status: 'pass', detail };
}

/** The object-creation events S3 notifies; `s3:ObjectCreated:*` is all of them. */
const OBJECT_CREATED_ANY = 's3:ObjectCreated:*';
const OBJECT_CREATED_EVENTS = ['Put', 'Post', 'Copy', 'CompleteMultipartUpload'].map((e) => `s3:ObjectCreated:${e}`);
const isObjectCreated = (event: string) => event === OBJECT_CREATED_ANY || OBJECT_CREATED_EVENTS.includes(event);

interface AnyNotification {
  readonly kind: 'TopicConfiguration' | 'QueueConfiguration' | 'LambdaFunctionConfiguration';
  readonly id?: string;
  readonly arn?: string;
  readonly events: string[];
  readonly filtered: boolean;
}

/** Every topic, queue and Lambda destination of a notification configuration, in one shape. */
function destinationsOf(config: NotificationConfiguration): AnyNotification[] {
  const filtered = (f: { Key?: { FilterRules?: unknown[] } } | undefined) => (f?.Key?.FilterRules ?? []).length > 0;
  return [
    ...(config.TopicConfigurations ?? []).map((c) => ({
      kind: 'TopicConfiguration' as const,
      id: c.Id,
      arn: c.TopicArn,
      events: (c.Events ?? []) as string[],
      filtered: filtered(c.Filter),
    })),
    ...(config.QueueConfigurations ?? []).map((c) => ({
      kind: 'QueueConfiguration' as const,
      id: c.Id,
      arn: c.QueueArn,
      events: (c.Events ?? []) as string[],
      filtered: filtered(c.Filter),
    })),
    ...(config.LambdaFunctionConfigurations ?? []).map((c) => ({
      kind: 'LambdaFunctionConfiguration' as const,
      id: c.Id,
      arn: c.LambdaFunctionArn,
      events: (c.Events ?? []) as string[],
      filtered: filtered(c.Filter),
    })),
  ];
}

/**
 * With intake `notifications` or `eventbridge`, whether the bucket sends its object creations where the monitor
 * listens: a TopicConfiguration with `s3:ObjectCreated:*` to its region's forwarder topic, or EventBridge turned on
 * (`EventBridgeConfiguration`). For notifications, a configuration that already sends an object-creation event
 * elsewhere is named: S3 refuses a second one that shares an event type for overlapping keys (ours has no filter,
 * so it overlaps every key), and the fix is then to fan out from one topic or to use intake `eventbridge`.
 */
function intakeCheck(
  bucket: string,
  facts: BucketFacts | undefined,
  monitorAccount: string,
  regions: readonly string[],
  intake: 'notifications' | 'eventbridge',
  remoteAccount: string | undefined,
): Check {
  const subject = bucket;
  const check = 'intake' as const;
  const get = `aws s3api get-bucket-notification-configuration --bucket ${bucket} > current.json`;
  const put = `aws s3api put-bucket-notification-configuration --bucket ${bucket} --notification-configuration file://current.json`;
  const probe = facts?.notifications;
  if (intake === 'eventbridge') {
    const fix =
      `${get}; add "EventBridgeConfiguration": {} to current.json (keep everything else: the put replaces the whole ` +
      `configuration); ${put}`;
    if (!probe?.ok) return unreadableIntake(subject, probe, remoteAccount, fix);
    if (probe.value.EventBridgeConfiguration !== undefined)
      return { check, subject, status: 'pass', detail: "S3 sends the bucket's events to EventBridge (Object Created is forwarded)" };
    return {
      check,
      subject,
      status: 'fail',
      detail: 'EventBridge notifications are off: its Object Created events never reach the monitor',
      fix,
    };
  }
  if (!facts?.region.ok)
    return {
      check,
      subject,
      status: 'fail',
      detail: `the bucket's region is unknown: ${facts?.region.ok === false ? unreadable(facts.region) : 'not read'}`,
    };
  const region = facts.region.value;
  if (!regions.includes(region)) {
    return {
      check,
      subject,
      status: 'fail',
      detail: `the bucket is in ${region}, which is not in the config's regions: no forwarder topic there`,
      fix: `add '${region}' to regions and deploy CrrForwarder-${region}`,
    };
  }
  const topicArn = `arn:${partitionOf(region)}:sns:${region}:${monitorAccount}:${forwarderTopicName(region)}`;
  const fix =
    `${get}; add {"Id": "crr-monitor", "TopicArn": "${topicArn}", "Events": ["${OBJECT_CREATED_ANY}"]} to current.json's ` +
    `TopicConfigurations (or add "${OBJECT_CREATED_ANY}" to the Events of a configuration already sending to that topic; ` +
    `keep everything else: the put replaces the whole configuration); ${put}`;
  if (!probe?.ok) return unreadableIntake(subject, probe, remoteAccount, fix);
  const all = destinationsOf(probe.value);
  const ours = all.filter((d) => d.kind === 'TopicConfiguration' && d.arn === topicArn);
  const events = new Set(ours.flatMap((d) => d.events));
  const covered = events.has(OBJECT_CREATED_ANY) || OBJECT_CREATED_EVENTS.every((e) => events.has(e));
  if (covered) {
    if (ours.some((d) => d.events.some(isObjectCreated) && d.filtered) && !ours.some((d) => d.events.some(isObjectCreated) && !d.filtered))
      return {
        check,
        subject,
        status: 'warn',
        detail: `object creations reach ${topicArn} only for some keys (a prefix or suffix filter)`,
        fix,
      };
    return { check, subject, status: 'pass', detail: `object creations (s3:ObjectCreated:*) go to ${topicArn}` };
  }
  const others = all.filter((d) => d.arn !== topicArn && d.events.some(isObjectCreated));
  if (others.length > 0) {
    const named = others.map((d) => `${d.kind} ${d.id ? `'${d.id}' ` : ''}→ ${d.arn} (${d.events.filter(isObjectCreated).join(', ')})`);
    return {
      check,
      subject,
      status: 'fail',
      detail:
        `no s3:ObjectCreated:* notification goes to ${topicArn}, and S3 would refuse one: ${named.join('; ')} already ` +
        'sends object creations for overlapping keys (configurations may not share an event type for overlapping prefixes/suffixes)',
      fix:
        `either keep one configuration and fan out from it: send ${OBJECT_CREATED_ANY} to ${topicArn} instead and subscribe ` +
        `the existing consumer to that topic (${get}; edit; ${put}), or set intake to "eventbridge" (EventBridge events do ` +
        'not overlap notification configurations) and turn on EventBridgeConfiguration',
    };
  }
  const partial = [...events].filter(isObjectCreated);
  const detail =
    partial.length > 0
      ? `only ${partial.join(', ')} go to ${topicArn}: other object creations are not seen`
      : `no s3:ObjectCreated:* notification goes to ${topicArn}: the bucket's writes never reach the monitor`;
  return { check, subject, status: 'fail', detail, fix };
}

function unreadableIntake(
  subject: string,
  probe: Probe<NotificationConfiguration> | undefined,
  remoteAccount: string | undefined,
  fix: string,
): Check {
  const skip = remoteAccount !== undefined && probe !== undefined && !probe.ok && isDenied(probe);
  return {
    check: 'intake',
    subject,
    status: skip ? 'skip' : 'fail',
    detail: `cannot read the notification configuration: ${probe && !probe.ok ? unreadable(probe) : 'not read'}`,
    fix: skip ? `run doctor with account ${remoteAccount}'s credentials; then: ${fix}` : fix,
  };
}

/**
 * What `reconcile` needs of an inventory (issue 16): every version (`IncludedObjectVersions` All adds VersionId,
 * IsLatest and IsDeleteMarker; Key is always there) and these optional fields. ORC reports are refused by reconcile.
 */
const RECONCILE_INVENTORY_FIELDS = ['Size', 'LastModifiedDate', 'ReplicationStatus'] as const;
const RECONCILE_FORMATS = ['CSV', 'Parquet'];

/** The inventory bucket an inventory configuration delivers to (`arn:aws:s3:::name` as S3 returns it). */
function inventoryDestination(inventory: InventoryConfiguration): string | undefined {
  const bucket = inventory.Destination?.S3BucketDestination?.Bucket;
  if (!bucket) return undefined;
  return /^arn:[^:]+:s3:::([^/]+)$/.exec(bucket)?.[1] ?? bucket;
}

/** What keeps one inventory configuration from serving reconcile; empty when it serves. */
function inventoryProblems(inventory: InventoryConfiguration, inventoryBucket: string | undefined, inventoryPrefix: string): string[] {
  const problems: string[] = [];
  if (inventory.IsEnabled !== true) problems.push('it is disabled');
  if (inventory.IncludedObjectVersions !== 'All') problems.push(`it lists ${inventory.IncludedObjectVersions ?? 'no'} versions, not All`);
  const format = inventory.Destination?.S3BucketDestination?.Format;
  if (!RECONCILE_FORMATS.includes(String(format))) problems.push(`its format is ${format ?? 'unknown'} (reconcile reads CSV or Parquet)`);
  const fields = new Set((inventory.OptionalFields ?? []).map(String));
  const missing = RECONCILE_INVENTORY_FIELDS.filter((f) => !fields.has(f));
  if (missing.length > 0) problems.push(`it lacks the field(s) ${missing.join(', ')}`);
  if (inventoryBucket !== undefined) {
    const destination = inventoryDestination(inventory);
    const prefix = inventory.Destination?.S3BucketDestination?.Prefix ?? '';
    // S3 puts `<prefix>/<bucket>/...` when a prefix is set: compare without the separator.
    if (destination !== inventoryBucket)
      problems.push(`it delivers to ${destination ?? 'no bucket'}, not reconcile.inventoryBucket ${inventoryBucket}`);
    else if (prefix.replace(/\/+$/, '') !== inventoryPrefix.replace(/\/+$/, ''))
      problems.push(`its prefix is '${prefix}', not reconcile.inventoryPrefix '${inventoryPrefix}'`);
  }
  return problems;
}

function inventoryCheck(bucket: string, facts: BucketFacts | undefined, config: MonitorConfig, remoteAccount: string | undefined): Check {
  const subject = bucket;
  const reconcile = config.reconcile;
  const partition = partitionOf(config.monitorRegion);
  const destination = reconcile?.inventoryBucket ?? '<inventory bucket>';
  const prefix = reconcile?.inventoryPrefix ? `,"Prefix":"${reconcile.inventoryPrefix.replace(/\/+$/, '')}"` : '';
  const fix =
    `aws s3api put-bucket-inventory-configuration --bucket ${bucket} --id crr-monitor --inventory-configuration ` +
    `'{"Id":"crr-monitor","IsEnabled":true,"IncludedObjectVersions":"All","Schedule":{"Frequency":"Daily"},` +
    `"OptionalFields":[${RECONCILE_INVENTORY_FIELDS.map((f) => `"${f}"`).join(',')},"ETag"],` +
    `"Destination":{"S3BucketDestination":{"Bucket":"arn:${partition}:s3:::${destination}","Format":"Parquet"${prefix}}}}'` +
    ' (the inventory bucket\'s policy must let s3.amazonaws.com write it: S3 User Guide, "Configuring Amazon S3 Inventory")';
  // Without the cloud reconcile the monitor works without inventories: a gap is a warning (offline reconcile needs them).
  const gap: CheckStatus = reconcile ? 'fail' : 'warn';
  const probe = facts?.inventory;
  if (!probe) return { check: 'inventory', subject, status: gap, detail: 'the inventory configurations were not read', fix };
  if (!probe.ok) {
    if (remoteAccount !== undefined && isDenied(probe)) {
      return {
        check: 'inventory',
        subject,
        status: 'skip',
        detail: `cannot read its inventory configurations with these credentials (${unreadable(probe)})`,
        fix: `run doctor with account ${remoteAccount}'s credentials`,
      };
    }
    return { check: 'inventory', subject, status: gap, detail: `cannot read its inventory configurations: ${unreadable(probe)}`, fix };
  }
  const all = probe.value;
  const serving = all.filter((i) => inventoryProblems(i, reconcile?.inventoryBucket, reconcile?.inventoryPrefix ?? '').length === 0);
  const name = (i: InventoryConfiguration) =>
    `'${i.Id ?? '(no ID)'}' (${i.Schedule?.Frequency ?? '?'}, ${i.Destination?.S3BucketDestination?.Format ?? '?'})`;
  if (serving.length === 0) {
    const detail =
      all.length === 0
        ? 'no inventory configuration: `crr-monitor reconcile` has nothing to compare for this bucket'
        : `no inventory configuration serves reconcile: ${all.map((i) => `${name(i)}: ${inventoryProblems(i, reconcile?.inventoryBucket, reconcile?.inventoryPrefix ?? '').join(', ')}`).join('; ')}`;
    return { check: 'inventory', subject, status: gap, detail, fix };
  }
  const whole = serving.filter((i) => !i.Filter?.Prefix);
  if (whole.length === 0) {
    return {
      check: 'inventory',
      subject,
      status: 'warn',
      detail: `inventory ${serving.map((i) => `${name(i)} covers only prefix '${i.Filter?.Prefix}'`).join(', ')}: versions elsewhere are never reconciled`,
      fix: 'remove the Filter of the inventory configuration (put-bucket-inventory-configuration replaces it)',
    };
  }
  const to = inventoryDestination(whole[0]);
  return {
    check: 'inventory',
    subject,
    status: 'pass',
    detail: `inventory ${name(whole[0])} lists all versions with ${RECONCILE_INVENTORY_FIELDS.join(', ')}, to ${to}`,
  };
}

/** The cloud reconcile is triggered by the inventory bucket's EventBridge events: they must be on. */
function reconcileTriggerCheck(inventoryBucket: string, probe: Probe<NotificationConfiguration> | undefined): Check {
  const subject = inventoryBucket;
  const fix =
    `turn on EventBridge for ${inventoryBucket}: aws s3api get-bucket-notification-configuration --bucket ${inventoryBucket}, ` +
    'add "EventBridgeConfiguration": {}, then put-bucket-notification-configuration (it replaces the whole configuration)';
  if (!probe?.ok)
    return {
      check: 'reconcile-trigger',
      subject,
      status: 'fail',
      detail: `cannot read the inventory bucket's notification configuration: ${probe ? unreadable(probe) : 'not read'}`,
      fix,
    };
  if (probe.value.EventBridgeConfiguration === undefined)
    return {
      check: 'reconcile-trigger',
      subject,
      status: 'fail',
      detail: 'EventBridge notifications are off: no manifest arrival reaches the reconcile',
      fix,
    };
  return {
    check: 'reconcile-trigger',
    subject,
    status: 'pass',
    detail: 'EventBridge notifications are on: arriving manifests start the reconcile',
  };
}

type Coverage = 'all' | 'partial' | 'none';
const RANK: Record<Coverage, number> = { none: 0, partial: 1, all: 2 };
const least = (a: Coverage, b: Coverage): Coverage => (RANK[a] <= RANK[b] ? a : b);
const most = (a: Coverage, b: Coverage): Coverage => (RANK[a] >= RANK[b] ? a : b);

/**
 * How much of `value`'s space a field selector admits when `value` is a prefix of everything we care about
 * (an object ARN prefix `arn:aws:s3:::bucket/`): every object, some, or none.
 */
function prefixCoverage(field: AdvancedFieldSelector, prefix: string): Coverage {
  let coverage: Coverage = 'all';
  const includes = (values: string[] | undefined, test: (v: string) => Coverage) => {
    if (values === undefined) return;
    coverage = least(
      coverage,
      values.reduce<Coverage>((c, v) => most(c, test(v)), 'none'),
    );
  };
  includes(field.StartsWith, (v) => (prefix.startsWith(v) ? 'all' : v.startsWith(prefix) ? 'partial' : 'none'));
  includes(field.Equals, (v) => (v.startsWith(prefix) ? 'partial' : 'none'));
  includes(field.EndsWith, () => 'partial');
  for (const v of field.NotStartsWith ?? [])
    coverage = least(coverage, prefix.startsWith(v) ? 'none' : v.startsWith(prefix) ? 'partial' : 'all');
  for (const v of field.NotEquals ?? []) coverage = least(coverage, v.startsWith(prefix) ? 'partial' : 'all');
  if ((field.NotEndsWith ?? []).length > 0) coverage = least(coverage, 'partial');
  return coverage;
}

/** The write event names a field selector on `eventName` admits, out of the three object writes. */
function admittedNames(field: AdvancedFieldSelector | undefined): string[] {
  return OBJECT_WRITE_OPERATIONS.filter((name) => {
    if (!field) return true;
    if (field.Equals && !field.Equals.includes(name)) return false;
    if (field.StartsWith && !field.StartsWith.some((v) => name.startsWith(v))) return false;
    if (field.EndsWith && !field.EndsWith.some((v) => name.endsWith(v))) return false;
    if (field.NotEquals?.includes(name)) return false;
    if (field.NotStartsWith?.some((v) => name.startsWith(v))) return false;
    if (field.NotEndsWith?.some((v) => name.endsWith(v))) return false;
    return true;
  });
}

/** Coverage of one advanced selector (its field selectors are ANDed) for the write data events of one bucket. */
export function advancedSelectorCoverage(
  selector: AdvancedEventSelector,
  bucket: string,
  partition: string,
): { coverage: Coverage; names: string[] } {
  const fields = new Map((selector.FieldSelectors ?? []).map((f) => [f.Field ?? '', f]));
  const none = { coverage: 'none' as Coverage, names: [] };
  if (!fields.get('eventCategory')?.Equals?.includes('Data')) return none;
  if (!fields.get('resources.type')?.Equals?.includes('AWS::S3::Object')) return none;
  const readOnly = fields.get('readOnly');
  if (readOnly?.Equals && !readOnly.Equals.includes('false')) return none;
  const names = admittedNames(fields.get('eventName'));
  if (names.length === 0) return none;
  const arn = fields.get('resources.ARN');
  const coverage = arn ? prefixCoverage(arn, `arn:${partition}:s3:::${bucket}/`) : 'all';
  return { coverage, names: coverage === 'none' ? [] : names };
}

/** Coverage of one basic event selector: write (or all) data events of `AWS::S3::Object` resources. */
export function basicSelectorCoverage(selector: EventSelector, bucket: string, partition: string): Coverage {
  if (selector.ReadWriteType === 'ReadOnly') return 'none';
  const prefix = `arn:${partition}:s3:::${bucket}/`;
  let coverage: Coverage = 'none';
  for (const resource of selector.DataResources ?? []) {
    if (resource.Type !== 'AWS::S3::Object') continue;
    for (const v of resource.Values ?? []) {
      // `arn:aws:s3` (every bucket), `arn:aws:s3:::bucket/` (every object of it), `arn:aws:s3:::bucket/prefix` (some).
      const all = v === `arn:${partition}:s3` || v === `arn:${partition}:s3:::` || prefix.startsWith(v) || `${v}/` === prefix;
      coverage = most(coverage, all ? 'all' : v.startsWith(prefix) ? 'partial' : 'none');
    }
  }
  return coverage;
}

function trailCheck(bucket: string, facts: BucketFacts | undefined, trails: Probe<TrailFacts[]>, partition: string): Check {
  const subject = bucket;
  const fix =
    `log write data events of arn:${partition}:s3:::${bucket}/ in a trail (MonitorStack's trail does, unless existingTrailArn ` +
    'is set): advanced selector eventCategory=Data, resources.type=AWS::S3::Object, readOnly=false, ' +
    `resources.ARN StartsWith arn:${partition}:s3:::${bucket}/`;
  if (!trails.ok) return { check: 'trail', subject, status: 'fail', detail: `cannot list the trails: ${unreadable(trails)}`, fix };
  const region = facts?.region.ok ? facts.region.value : undefined;
  let best: { coverage: Coverage; trail?: string; names: string[] } = { coverage: 'none', names: [] };
  const notes: string[] = [];
  for (const trail of trails.value) {
    if (!trail.multiRegion && region !== undefined && trail.homeRegion !== region) continue;
    if (!trail.selectors.ok) {
      notes.push(`${trail.name}: selectors unreadable (${unreadable(trail.selectors)})`);
      continue;
    }
    let coverage: Coverage = 'none';
    let names: string[] = [];
    for (const s of trail.selectors.value.advanced) {
      const c = advancedSelectorCoverage(s, bucket, partition);
      if (RANK[c.coverage] > RANK[coverage] || (c.coverage === coverage && c.names.length > names.length)) ({ coverage, names } = c);
    }
    for (const s of trail.selectors.value.basic) {
      const c = basicSelectorCoverage(s, bucket, partition);
      if (RANK[c] > RANK[coverage] || (c === coverage && c !== 'none'))
        ({ coverage, names } = { coverage: c, names: [...OBJECT_WRITE_OPERATIONS] });
    }
    if (coverage !== 'none' && trail.logging.ok && !trail.logging.value) {
      notes.push(`${trail.name} would log them but is stopped`);
      continue;
    }
    if (RANK[coverage] > RANK[best.coverage] || (coverage === best.coverage && names.length > best.names.length))
      best = { coverage, trail: trail.name, names };
  }
  const missing = OBJECT_WRITE_OPERATIONS.filter((n) => !best.names.includes(n));
  const noted = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (best.coverage === 'none')
    return { check: 'trail', subject, status: 'fail', detail: `no logging trail records the bucket's object writes${noted}`, fix };
  if (missing.length > 0) {
    return {
      check: 'trail',
      subject,
      status: 'fail',
      detail: `trail ${best.trail} does not log ${missing.join(', ')} of the bucket${noted}`,
      fix,
    };
  }
  if (best.coverage === 'partial')
    return { check: 'trail', subject, status: 'warn', detail: `trail ${best.trail} logs writes of only some keys${noted}`, fix };
  return { check: 'trail', subject, status: 'pass', detail: `trail ${best.trail} logs its object writes` };
}

const HEALTHY_STACK = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

function stackCheck(stack: StackFacts, callerAccount: string): Check {
  const subject = `${stack.name} (${stack.account}, ${stack.region})`;
  const deploy = `npx cdk deploy '${stack.name}'`;
  if (stack.account !== callerAccount) {
    return {
      check: 'stack',
      subject,
      status: 'skip',
      detail: `another account's stack: not visible to ${callerAccount}`,
      fix: `run doctor with account ${stack.account}'s credentials`,
    };
  }
  const probe = stack.status;
  if (!probe) return { check: 'stack', subject, status: 'fail', detail: 'not read', fix: deploy };
  if (!probe.ok) {
    const missing = /does not exist/i.test(probe.error);
    return {
      check: 'stack',
      subject,
      status: 'fail',
      detail: missing ? 'the stack does not exist' : `cannot describe it: ${unreadable(probe)}`,
      fix: deploy,
    };
  }
  const status = probe.value;
  if (HEALTHY_STACK.has(status)) return { check: 'stack', subject, status: 'pass', detail: status };
  if (status.endsWith('_IN_PROGRESS') || status === 'UPDATE_ROLLBACK_COMPLETE') {
    return {
      check: 'stack',
      subject,
      status: 'warn',
      detail: `${status}: its last change did not (yet) take effect`,
      fix: `wait, or look at its events; then ${deploy}`,
    };
  }
  return {
    check: 'stack',
    subject,
    status: 'fail',
    detail: status,
    fix: `look at the stack's events (aws cloudformation describe-stack-events --stack-name ${stack.name}); then ${deploy}`,
  };
}

function agentRoleCheck(account: string, probe: Probe<true> | undefined, monitorRegion: string): Check {
  const arn = roleArn(partitionOf(monitorRegion), account, agentRoleName(monitorRegion));
  const subject = arn;
  const fix = `deploy AgentStack-${account}-${monitorRegion} with account ${account}'s credentials`;
  if (!probe) return { check: 'agent-role', subject, status: 'fail', detail: 'not tried', fix };
  if (probe.ok) return { check: 'agent-role', subject, status: 'pass', detail: 'AssumeRole succeeded' };
  if (isDenied(probe)) {
    // STS answers AccessDenied both for a role that does not exist and for a trust policy that does not admit the
    // caller; the agent role admits only the monitor's drain and sweep roles, so from an operator's credentials
    // this is the expected answer and proves nothing either way.
    return {
      check: 'agent-role',
      subject,
      status: 'warn',
      detail: `AssumeRole was denied to these credentials (expected unless they are the drain or sweep role): ${unreadable(probe)}`,
      fix: `check that ${agentStackName(account, monitorRegion)} exists and that the sweep's log shows no AssumeRole errors`,
    };
  }
  return { check: 'agent-role', subject, status: 'fail', detail: `AssumeRole failed: ${unreadable(probe)}`, fix };
}

/** The stacks a config deploys, each with its account and region (as lib/app.ts creates them). */
export function expectedStacks(config: MonitorConfig, monitorAccount: string): { name: string; account: string; region: string }[] {
  const stacks = [{ name: MONITOR_STACK_NAME, account: monitorAccount, region: config.monitorRegion }];
  for (const region of config.regions) stacks.push({ name: forwarderStackName(region), account: monitorAccount, region });
  // As lib/app.ts: with intake notifications an agent forwards nothing, so only its home stack (the read role) exists.
  const agentRegions =
    config.intake === 'notifications'
      ? [config.monitorRegion]
      : [config.monitorRegion, ...config.regions.filter((r) => r !== config.monitorRegion)];
  for (const account of sourceAccounts(config)) {
    for (const region of agentRegions) stacks.push({ name: agentStackName(account, region), account, region });
  }
  return stacks;
}

/**
 * Every check of the config against the facts, in a stable order: buckets, pairs, notifications, inventories, then the
 * intake (the trail, or each bucket's notification configuration), stacks, roles.
 */
export function runChecks(config: MonitorConfig, facts: SetupFacts): Check[] {
  const partition = partitionOf(config.monitorRegion);
  const remote = new Map(config.replication.filter((r) => r.sourceAccount).map((r) => [r.source, r.sourceAccount!]));
  const checks: Check[] = [];
  const buckets = [...new Set([...localBuckets(config), ...remote.keys()])].sort();
  for (const bucket of buckets) {
    const probe = facts.buckets[bucket]?.versioning;
    const fix = `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`;
    if (!probe) checks.push({ check: 'versioning', subject: bucket, status: 'fail', detail: 'not read', fix });
    else if (!probe.ok) {
      const skip = remote.has(bucket) && isDenied(probe);
      checks.push({
        check: 'versioning',
        subject: bucket,
        status: skip ? 'skip' : 'fail',
        detail: `cannot read its versioning: ${unreadable(probe)}`,
        fix: skip ? `run doctor with account ${remote.get(bucket)}'s credentials` : fix,
      });
    } else if (probe.value === 'Enabled') checks.push({ check: 'versioning', subject: bucket, status: 'pass', detail: 'Enabled' });
    else
      checks.push({
        check: 'versioning',
        subject: bucket,
        status: 'fail',
        detail: `versioning is ${probe.value ?? 'not enabled'}: S3 cannot replicate it`,
        fix,
      });
  }
  for (const { source, destination } of replicationPairs(config)) {
    checks.push(...replicationChecks(source, destination, facts.buckets[source], remote.has(source), partition));
  }
  for (const source of [...new Set(config.replication.filter((r) => !r.sourceAccount).map((r) => r.source))].sort()) {
    checks.push(notificationCheck(source, facts.buckets[source], facts.monitorAccount, config.regions));
  }
  for (const bucket of buckets) checks.push(inventoryCheck(bucket, facts.buckets[bucket], config, remote.get(bucket)));
  if (config.reconcile) checks.push(reconcileTriggerCheck(config.reconcile.inventoryBucket, facts.inventoryBucketNotifications));
  const intake = config.intake;
  if (intake === 'cloudtrail') {
    for (const bucket of localBuckets(config)) checks.push(trailCheck(bucket, facts.buckets[bucket], facts.trails, partition));
  } else {
    for (const bucket of buckets)
      checks.push(intakeCheck(bucket, facts.buckets[bucket], facts.monitorAccount, config.regions, intake, remote.get(bucket)));
  }
  for (const stack of facts.stacks) checks.push(stackCheck(stack, facts.callerAccount));
  for (const account of sourceAccounts(config)) checks.push(agentRoleCheck(account, facts.agentRoles[account], config.monitorRegion));
  return checks;
}
