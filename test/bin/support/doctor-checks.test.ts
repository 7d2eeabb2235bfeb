import type { AdvancedEventSelector } from '@aws-sdk/client-cloudtrail';
import type { InventoryConfiguration, NotificationConfiguration } from '@aws-sdk/client-s3';
import {
  advancedSelectorCoverage,
  basicSelectorCoverage,
  destinationBucket,
  ruleScope,
  runChecks,
  type SetupFacts,
} from '../../../bin/support/doctor-checks';
import { validateConfig } from '../../../lambda/shared/config';

// Shapes as the SDK deserializes S3's XML and CloudTrail's JSON (see the SDK's GetBucketReplication,
// GetEventSelectors and GetBucketNotificationConfiguration command docs).
const WRITE_SELECTOR: AdvancedEventSelector = {
  Name: 'crr-monitor object writes of the monitored buckets',
  FieldSelectors: [
    { Field: 'eventCategory', Equals: ['Data'] },
    { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
    { Field: 'readOnly', Equals: ['false'] },
    { Field: 'eventName', Equals: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'] },
    { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::src-bucket/', 'arn:aws:s3:::dst-bucket/'] },
  ],
};

describe('replication rules', () => {
  it('reads the destination bucket from its ARN', () => {
    expect(destinationBucket({ Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::dst-bucket' } })).toBe('dst-bucket');
    expect(destinationBucket({ Status: 'Enabled', Destination: { Bucket: 'arn:aws-cn:s3:::dst-bucket' } })).toBe('dst-bucket');
  });

  it('tells a whole-bucket rule from a filtered one, V1 and V2', () => {
    const d = { Bucket: 'arn:aws:s3:::d' };
    expect(ruleScope({ Status: 'Enabled', Prefix: '', Destination: d })).toBeUndefined();
    expect(ruleScope({ Status: 'Enabled', Prefix: 'Tax', Destination: d })).toBe("prefix 'Tax'");
    expect(ruleScope({ Status: 'Enabled', Filter: {}, Destination: d })).toBeUndefined();
    expect(ruleScope({ Status: 'Enabled', Filter: { Prefix: '' }, Destination: d })).toBeUndefined();
    expect(ruleScope({ Status: 'Enabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, Destination: d })).toBe('tag k=v');
    expect(ruleScope({ Status: 'Enabled', Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }] } }, Destination: d })).toBe(
      "prefix 'logs/' and tag a=1",
    );
  });
});

describe('trail selectors', () => {
  it("reads the monitor's own advanced selector as covering its buckets and no other", () => {
    expect(advancedSelectorCoverage(WRITE_SELECTOR, 'src-bucket', 'aws')).toEqual({
      coverage: 'all',
      names: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'],
    });
    expect(advancedSelectorCoverage(WRITE_SELECTOR, 'src-bucket2', 'aws').coverage).toBe('none');
    expect(advancedSelectorCoverage(WRITE_SELECTOR, 'other', 'aws').coverage).toBe('none');
  });

  it('sees read-only, management, prefix-limited and name-limited selectors for what they are', () => {
    const base = WRITE_SELECTOR.FieldSelectors!.filter((f) => f.Field !== 'resources.ARN' && f.Field !== 'eventName');
    const readOnly = { FieldSelectors: [...base.filter((f) => f.Field !== 'readOnly'), { Field: 'readOnly', Equals: ['true'] }] };
    expect(advancedSelectorCoverage(readOnly, 'b1', 'aws').coverage).toBe('none');
    const management = { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] };
    expect(advancedSelectorCoverage(management, 'b1', 'aws').coverage).toBe('none');
    const everything = { FieldSelectors: base };
    expect(advancedSelectorCoverage(everything, 'b1', 'aws').coverage).toBe('all');
    const prefixed = { FieldSelectors: [...base, { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::b1/logs/'] }] };
    expect(advancedSelectorCoverage(prefixed, 'b1', 'aws').coverage).toBe('partial');
    const excluded = { FieldSelectors: [...base, { Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::b1/'] }] };
    expect(advancedSelectorCoverage(excluded, 'b1', 'aws').coverage).toBe('none');
    expect(advancedSelectorCoverage(excluded, 'b2', 'aws').coverage).toBe('all');
    const putOnly = { FieldSelectors: [...base, { Field: 'eventName', Equals: ['PutObject'] }] };
    expect(advancedSelectorCoverage(putOnly, 'b1', 'aws').names).toEqual(['PutObject']);
    const noDeletes = { FieldSelectors: [...base, { Field: 'eventName', NotEquals: ['DeleteObject', 'CopyObject'] }] };
    expect(advancedSelectorCoverage(noDeletes, 'b1', 'aws').names).toEqual(['PutObject', 'CompleteMultipartUpload']);
  });

  it('reads basic selectors: all buckets, one bucket, a prefix, read-only', () => {
    const sel = (ReadWriteType: 'All' | 'WriteOnly' | 'ReadOnly', ...Values: string[]) => ({
      ReadWriteType,
      IncludeManagementEvents: true,
      DataResources: [{ Type: 'AWS::S3::Object', Values }],
    });
    expect(basicSelectorCoverage(sel('All', 'arn:aws:s3'), 'b1', 'aws')).toBe('all');
    expect(basicSelectorCoverage(sel('WriteOnly', 'arn:aws:s3:::b1/'), 'b1', 'aws')).toBe('all');
    expect(basicSelectorCoverage(sel('WriteOnly', 'arn:aws:s3:::b1/logs/'), 'b1', 'aws')).toBe('partial');
    expect(basicSelectorCoverage(sel('WriteOnly', 'arn:aws:s3:::b10/'), 'b1', 'aws')).toBe('none');
    expect(basicSelectorCoverage(sel('ReadOnly', 'arn:aws:s3'), 'b1', 'aws')).toBe('none');
  });
});

describe('runChecks', () => {
  const config = validateConfig({
    monitorRegion: 'us-east-1',
    regions: ['us-east-1', 'us-west-2'],
    replication: [{ source: 'src-bucket', destinations: ['dst-bucket', 'dst-two'] }],
  });
  const found = <T>(value: T) => ({ ok: true as const, value });
  const healthy = (): SetupFacts => ({
    callerAccount: '222222222222',
    monitorAccount: '222222222222',
    buckets: {
      'src-bucket': {
        region: found('us-east-1'),
        versioning: found('Enabled'),
        replication: found({
          Role: 'arn:aws:iam::222222222222:role/replication',
          Rules: [
            {
              ID: 'to-dst',
              Priority: 1,
              Filter: {},
              Status: 'Enabled',
              DeleteMarkerReplication: { Status: 'Disabled' },
              Destination: {
                Bucket: 'arn:aws:s3:::dst-bucket',
                Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
                ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
              },
            },
            {
              ID: 'to-two',
              Priority: 2,
              Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'replicate', Value: 'yes' }] } },
              Status: 'Enabled',
              DeleteMarkerReplication: { Status: 'Disabled' },
              Destination: { Bucket: 'arn:aws:s3:::dst-two', Metrics: { Status: 'Disabled' } },
            },
          ],
        }),
        notifications: found({
          TopicConfigurations: [
            {
              Id: 'crr',
              TopicArn: 'arn:aws:sns:us-east-1:222222222222:CrrForwarder-us-east-1-Events',
              Events: ['s3:Replication:OperationFailedReplication'],
            },
          ],
        }),
      },
      'dst-bucket': { region: found('us-west-2'), versioning: found('Enabled') },
      'dst-two': { region: found('us-west-2'), versioning: found('Suspended') },
    },
    trails: found([
      {
        arn: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/monitor',
        name: 'monitor',
        homeRegion: 'us-east-1',
        multiRegion: true,
        logging: found(true),
        selectors: found({ basic: [], advanced: [WRITE_SELECTOR] }),
      },
    ]),
    stacks: [
      { name: 'MonitorStack', account: '222222222222', region: 'us-east-1', status: found('UPDATE_COMPLETE') },
      { name: 'CrrForwarder-us-east-1', account: '222222222222', region: 'us-east-1', status: found('CREATE_COMPLETE') },
      {
        name: 'CrrForwarder-us-west-2',
        account: '222222222222',
        region: 'us-west-2',
        status: { ok: false, error: 'ValidationError: Stack with id CrrForwarder-us-west-2 does not exist', httpStatus: 400 },
      },
    ],
    agentRoles: {},
  });

  const statusOf = (checks: ReturnType<typeof runChecks>, check: string, subject: string) =>
    checks.find((c) => c.check === check && c.subject === subject)?.status;

  it('passes what is right and fails, with a fix, what is not', () => {
    const checks = runChecks(config, healthy());
    expect(statusOf(checks, 'versioning', 'src-bucket')).toBe('pass');
    expect(statusOf(checks, 'versioning', 'dst-two')).toBe('fail');
    expect(statusOf(checks, 'replication-rule', 'src-bucket → dst-bucket')).toBe('pass');
    expect(statusOf(checks, 'replication-metrics', 'src-bucket → dst-bucket')).toBe('pass');
    expect(statusOf(checks, 'replication-rule', 'src-bucket → dst-two')).toBe('warn');
    expect(statusOf(checks, 'replication-metrics', 'src-bucket → dst-two')).toBe('fail');
    expect(statusOf(checks, 'notifications', 'src-bucket')).toBe('pass');
    // The trail selector names src-bucket and dst-bucket, not dst-two.
    expect(statusOf(checks, 'trail', 'src-bucket')).toBe('pass');
    expect(statusOf(checks, 'trail', 'dst-two')).toBe('fail');
    expect(statusOf(checks, 'stack', 'MonitorStack (222222222222, us-east-1)')).toBe('pass');
    expect(statusOf(checks, 'stack', 'CrrForwarder-us-west-2 (222222222222, us-west-2)')).toBe('fail');
    for (const c of checks.filter((c) => c.status === 'fail')) expect(c.fix).toBeTruthy();
    const metrics = checks.find((c) => c.check === 'replication-metrics' && c.status === 'fail')!;
    expect(metrics.detail).toContain("'to-two'");
  });

  it('fails a pair whose only rule is disabled, and a bucket with no replication configuration at all', () => {
    const facts = healthy();
    const src = facts.buckets['src-bucket'];
    const rules = src.replication!.ok ? src.replication!.value.Rules! : [];
    const disabled = {
      ...facts,
      buckets: {
        ...facts.buckets,
        'src-bucket': { ...src, replication: found({ Role: 'r', Rules: [{ ...rules[0], Status: 'Disabled' as const }] }) },
      },
    };
    const checks = runChecks(config, disabled);
    expect(checks.find((c) => c.subject === 'src-bucket → dst-bucket' && c.check === 'replication-rule')?.detail).toContain('disabled');
    expect(statusOf(checks, 'replication-rule', 'src-bucket → dst-two')).toBe('fail');
    const none = {
      ...facts,
      buckets: {
        ...facts.buckets,
        'src-bucket': {
          ...src,
          replication: {
            ok: false as const,
            error: 'ReplicationConfigurationNotFoundError: The replication configuration was not found',
            httpStatus: 404,
          },
        },
      },
    };
    const noneChecks = runChecks(config, none);
    expect(noneChecks.find((c) => c.check === 'replication-rule')?.detail).toBe('src-bucket has no replication configuration');
  });

  it('fails notifications sent to another topic or not at all, and a bucket in a region with no forwarder', () => {
    const facts = healthy();
    const src = facts.buckets['src-bucket'];
    const elsewhere = {
      ...facts,
      buckets: {
        ...facts.buckets,
        'src-bucket': {
          ...src,
          notifications: found({
            TopicConfigurations: [{ TopicArn: 'arn:aws:sns:us-east-1:222222222222:mine', Events: ['s3:Replication:*' as const] }],
          }),
        },
      },
    };
    const check = runChecks(config, elsewhere).find((c) => c.check === 'notifications')!;
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('arn:aws:sns:us-east-1:222222222222:mine');
    expect(check.fix).toContain('arn:aws:sns:us-east-1:222222222222:CrrForwarder-us-east-1-Events');
    const farAway = { ...facts, buckets: { ...facts.buckets, 'src-bucket': { ...src, region: found('eu-west-1') } } };
    expect(runChecks(config, farAway).find((c) => c.check === 'notifications')?.detail).toContain('eu-west-1');
  });

  it('does not count a stopped trail or a single-region trail of another region', () => {
    const facts = healthy();
    const trail = (facts.trails.ok ? facts.trails.value : [])[0];
    const stopped = { ...facts, trails: found([{ ...trail, logging: found(false) }]) };
    expect(runChecks(config, stopped).find((c) => c.check === 'trail')?.detail).toContain('stopped');
    const elsewhere = { ...facts, trails: found([{ ...trail, multiRegion: false, homeRegion: 'us-west-2' }]) };
    expect(statusOf(runChecks(config, elsewhere), 'trail', 'src-bucket')).toBe('fail');
    expect(statusOf(runChecks(config, elsewhere), 'trail', 'dst-bucket')).toBe('pass');
  });

  it("skips another account's bucket and stacks, and warns (not fails) on a denied AssumeRole", () => {
    const remote = validateConfig({
      monitorRegion: 'us-east-1',
      regions: ['us-east-1'],
      monitorAccount: '222222222222',
      remoteAccounts: ['111111111111'],
      replication: [{ source: 'far-source', sourceAccount: '111111111111', destinations: ['dst-bucket'] }],
    });
    const denied = { ok: false as const, error: 'AccessDenied: Access Denied', httpStatus: 403 };
    const facts: SetupFacts = {
      ...healthy(),
      buckets: {
        'far-source': { region: denied, versioning: denied, replication: denied, inventory: denied },
        'dst-bucket': healthy().buckets['dst-bucket'],
      },
      stacks: [{ name: 'AgentStack-111111111111-us-east-1', account: '111111111111', region: 'us-east-1' }],
      agentRoles: { '111111111111': denied },
    };
    const checks = runChecks(remote, facts);
    expect(statusOf(checks, 'versioning', 'far-source')).toBe('skip');
    expect(statusOf(checks, 'replication-rule', 'far-source → dst-bucket')).toBe('skip');
    expect(statusOf(checks, 'stack', 'AgentStack-111111111111-us-east-1 (111111111111, us-east-1)')).toBe('skip');
    expect(statusOf(checks, 'agent-role', 'arn:aws:iam::111111111111:role/crr-monitor-agent-read-us-east-1')).toBe('warn');
    expect(checks.some((c) => c.check === 'notifications')).toBe(false);
    expect(statusOf(checks, 'inventory', 'far-source')).toBe('skip');
  });
});

describe('inventory (issue 16: what reconcile needs)', () => {
  // ListBucketInventoryConfigurations as the SDK deserializes it (InventoryConfigurationList of InventoryConfiguration).
  const inventory = (change: Partial<InventoryConfiguration> = {}): InventoryConfiguration => ({
    Id: 'all-versions',
    IsEnabled: true,
    IncludedObjectVersions: 'All',
    Schedule: { Frequency: 'Daily' },
    OptionalFields: ['Size', 'LastModifiedDate', 'ETag', 'ReplicationStatus'],
    Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::inventory-bucket', Format: 'Parquet', Prefix: 'inv' } },
    ...change,
  });
  const base = { monitorRegion: 'us-east-1', replication: [{ source: 'src-bucket', destinations: ['dst-bucket'] }] };
  const withReconcile = validateConfig({ ...base, reconcile: { inventoryBucket: 'inventory-bucket', inventoryPrefix: 'inv/' } });
  const without = validateConfig(base);
  const facts = (src: InventoryConfiguration[], dst: InventoryConfiguration[] = [inventory()]): SetupFacts => ({
    callerAccount: '222222222222',
    monitorAccount: '222222222222',
    buckets: {
      'src-bucket': {
        region: { ok: true, value: 'us-east-1' },
        versioning: { ok: true, value: 'Enabled' },
        inventory: { ok: true, value: src },
      },
      'dst-bucket': {
        region: { ok: true, value: 'us-east-1' },
        versioning: { ok: true, value: 'Enabled' },
        inventory: { ok: true, value: dst },
      },
    },
    trails: { ok: true, value: [] },
    stacks: [],
    agentRoles: {},
  });
  const check = (config: typeof without, f: SetupFacts, bucket = 'src-bucket') =>
    runChecks(config, f).find((c) => c.check === 'inventory' && c.subject === bucket)!;

  it('passes an enabled all-versions CSV or Parquet inventory with Size, LastModifiedDate and ReplicationStatus', () => {
    expect(check(withReconcile, facts([inventory()]))).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining("'all-versions' (Daily, Parquet)"),
    });
    const csv = inventory({
      Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::inventory-bucket', Format: 'CSV', Prefix: 'inv' } },
    });
    expect(check(withReconcile, facts([csv])).status).toBe('pass');
    // Another configuration that does not serve does not hide the one that does.
    expect(check(withReconcile, facts([inventory({ Id: 'current', IncludedObjectVersions: 'Current' }), inventory()])).status).toBe('pass');
  });

  it.each([
    ['current versions only', { IncludedObjectVersions: 'Current' as const }, 'lists Current versions, not All'],
    [
      'a missing ReplicationStatus field',
      { OptionalFields: ['Size' as const, 'LastModifiedDate' as const] },
      'lacks the field(s) ReplicationStatus',
    ],
    ['no optional fields at all', { OptionalFields: undefined }, 'lacks the field(s) Size, LastModifiedDate, ReplicationStatus'],
    ['a disabled inventory', { IsEnabled: false }, 'it is disabled'],
    [
      'ORC',
      { Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::inventory-bucket', Format: 'ORC' as const, Prefix: 'inv' } } },
      'its format is ORC',
    ],
    [
      'another destination bucket',
      { Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::elsewhere', Format: 'CSV' as const } } },
      'delivers to elsewhere, not reconcile.inventoryBucket inventory-bucket',
    ],
    [
      'another prefix',
      { Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::inventory-bucket', Format: 'CSV' as const, Prefix: 'other' } } },
      "its prefix is 'other', not reconcile.inventoryPrefix 'inv/'",
    ],
  ])('fails %s when reconcile is configured, naming why, with the fix', (_what, change, why) => {
    const result = check(withReconcile, facts([inventory(change)]));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(why);
    expect(result.fix).toContain('put-bucket-inventory-configuration --bucket src-bucket');
    expect(result.fix).toContain('"IncludedObjectVersions":"All"');
    expect(result.fix).toContain('"Bucket":"arn:aws:s3:::inventory-bucket"');
    expect(result.fix).toContain('"Prefix":"inv"');
  });

  it('only warns when the cloud reconcile is off (the monitor works without inventories), and then takes any destination', () => {
    const none = check(without, facts([]));
    expect(none.status).toBe('warn');
    expect(none.detail).toContain('no inventory configuration');
    const elsewhere = inventory({ Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::elsewhere', Format: 'CSV' } } });
    expect(check(without, facts([elsewhere])).status).toBe('pass');
    expect(check(withReconcile, facts([])).status).toBe('fail');
  });

  it('warns when the only serving inventory is filtered to a prefix, and checks every configured bucket', () => {
    const filtered = check(withReconcile, facts([inventory({ Filter: { Prefix: 'photos/' } })]));
    expect(filtered.status).toBe('warn');
    expect(filtered.detail).toContain("covers only prefix 'photos/'");
    expect(check(withReconcile, facts([inventory()], []), 'dst-bucket').status).toBe('fail');
  });

  it('fails on an unreadable configuration list', () => {
    const f = facts([]);
    const denied = { ok: false as const, error: 'AccessDenied: Access Denied', httpStatus: 403 };
    const result = check(withReconcile, {
      ...f,
      buckets: { ...f.buckets, 'src-bucket': { ...f.buckets['src-bucket'], inventory: denied } },
    });
    expect(result).toMatchObject({
      status: 'fail',
      detail: 'cannot read its inventory configurations: AccessDenied: Access Denied (HTTP 403)',
    });
  });
});

describe('intake notifications/eventbridge: each bucket’s notification configuration', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:222222222222:CrrForwarder-us-east-1-Events';
  const config = (intake: 'notifications' | 'eventbridge') =>
    validateConfig({
      monitorRegion: 'us-east-1',
      monitorAccount: '222222222222',
      remoteAccounts: ['111111111111'],
      intake,
      replication: [
        { source: 'src-bucket', destinations: ['dst-bucket'] },
        { source: 'remote-src', destinations: ['dst-bucket'], sourceAccount: '111111111111' },
      ],
    });
  const bucket = (notifications: SetupFacts['buckets'][string]['notifications']) => ({
    region: { ok: true as const, value: 'us-east-1' },
    versioning: { ok: true as const, value: 'Enabled' },
    notifications,
  });
  const facts = (buckets: SetupFacts['buckets']): SetupFacts => ({
    callerAccount: '222222222222',
    monitorAccount: '222222222222',
    buckets,
    trails: { ok: true, value: [] },
    stacks: [],
    agentRoles: {},
  });
  const intakeChecks = (intake: 'notifications' | 'eventbridge', buckets: SetupFacts['buckets']) =>
    runChecks(config(intake), facts(buckets)).filter((c) => c.check === 'intake');

  it('warns when object creations reach the topic only for filtered keys; fails when only some event types do', () => {
    const filtered = {
      TopicConfigurations: [
        {
          TopicArn: TOPIC,
          Events: ['s3:ObjectCreated:*' as const],
          Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'in/' }] } },
        },
      ],
    };
    const partial = { TopicConfigurations: [{ TopicArn: TOPIC, Events: ['s3:ObjectCreated:Put' as const] }] };
    const [dst, remote, src] = intakeChecks('notifications', {
      'dst-bucket': bucket({ ok: true, value: filtered }),
      'remote-src': bucket({ ok: false, error: 'AccessDenied', httpStatus: 403 }),
      'src-bucket': bucket({ ok: true, value: partial }),
    });
    expect(dst).toMatchObject({
      subject: 'dst-bucket',
      status: 'warn',
      detail: `object creations reach ${TOPIC} only for some keys (a prefix or suffix filter)`,
    });
    // Another account's bucket these credentials may not read: skipped, with whose credentials to use.
    expect(remote).toMatchObject({ subject: 'remote-src', status: 'skip' });
    expect(remote.fix).toContain("run doctor with account 111111111111's credentials");
    expect(src).toMatchObject({
      subject: 'src-bucket',
      status: 'fail',
      detail: `only s3:ObjectCreated:Put go to ${TOPIC}: other object creations are not seen`,
    });
  });

  it('the four event types one by one cover it too; a Lambda that already takes object creations is named', () => {
    const four: NotificationConfiguration = {
      TopicConfigurations: [
        {
          TopicArn: TOPIC,
          Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Post', 's3:ObjectCreated:Copy', 's3:ObjectCreated:CompleteMultipartUpload'],
        },
      ],
    };
    const lambda: NotificationConfiguration = {
      LambdaFunctionConfigurations: [
        { Id: 'thumbs', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:222222222222:function:thumbs', Events: ['s3:ObjectCreated:Put'] },
      ],
    };
    const [dst, , src] = intakeChecks('notifications', {
      'dst-bucket': bucket({ ok: true, value: four }),
      'remote-src': bucket({ ok: true, value: four }),
      'src-bucket': bucket({ ok: true, value: lambda }),
    });
    expect(dst.status).toBe('pass');
    expect(src.status).toBe('fail');
    expect(src.detail).toContain(
      "LambdaFunctionConfiguration 'thumbs' → arn:aws:lambda:us-east-1:222222222222:function:thumbs (s3:ObjectCreated:Put)",
    );
    expect(src.fix).toContain('set intake to "eventbridge"');
  });

  it('eventbridge: EventBridgeConfiguration on passes, whatever else the bucket sends; no trail check in either mode', () => {
    const checks = runChecks(
      config('eventbridge'),
      facts({
        'dst-bucket': bucket({ ok: true, value: { EventBridgeConfiguration: {} } }),
        'remote-src': bucket({
          ok: true,
          value: {
            EventBridgeConfiguration: {},
            QueueConfigurations: [{ QueueArn: 'arn:aws:sqs:us-east-1:1:q', Events: ['s3:ObjectCreated:*'] }],
          },
        }),
        'src-bucket': bucket({ ok: true, value: {} }),
      }),
    );
    expect(checks.filter((c) => c.check === 'intake').map((c) => [c.subject, c.status])).toEqual([
      ['dst-bucket', 'pass'],
      ['remote-src', 'pass'],
      ['src-bucket', 'fail'],
    ]);
    expect(checks.some((c) => c.check === 'trail')).toBe(false);
  });
});
