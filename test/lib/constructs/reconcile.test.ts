/**
 * MonitorStack's reconcile option (lib/constructs/reconcile.ts) in the synthesized template: the trigger, the Athena
 * workgroup and Glue database, the handler's settings and grants, the alarms. (test/lib/permissions.test.ts checks the
 * role against the handler's SDK calls; test/lib/nag.test.ts runs cdk-nag over it.)
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { validateConfig } from '../../../lambda/shared/config';
import { ENV, parseReconcileSettings } from '../../../lambda/shared/contract';
import type { MonitorStack } from '../../../lib/stacks/monitor-stack';
import { build, fullConfig, minimalConfig, statementsOfRole } from '../helpers';

let monitor: MonitorStack;
let t: Template;
beforeAll(() => {
  monitor = build(fullConfig(), { bundle: false }).stacks.monitor;
  t = Template.fromStack(monitor);
}, 300_000);

const BUCKETS = ['media-east', 'media-west', 'orders-dst-a', 'orders-dst-b', 'orders-src', 'partner-dst', 'partner-src'];
const PAIRS = 5;
const functionId = () => monitor.getLogicalId(monitor.reconcile!.handler.fn.node.defaultChild as never);
const roleId = () => monitor.getLogicalId(monitor.reconcile!.handler.role.node.defaultChild as never);

test("an EventBridge rule on S3's Object Created of each configured bucket's manifest.json in the inventory bucket", () => {
  t.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: ['replication-inventories'] },
        object: { key: BUCKETS.map((b) => ({ wildcard: `inventories/${b}/*/manifest.json` })) },
      },
    },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(), 'Arn'] } })],
  });
  // Only that rule may invoke the function.
  const permissions = Object.values(t.findResources('AWS::Lambda::Permission')).filter((p) =>
    JSON.stringify(p.Properties.FunctionName).includes(functionId()),
  );
  expect(permissions).toHaveLength(1);
  expect(permissions[0].Properties).toMatchObject({
    Principal: 'events.amazonaws.com',
    SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/ManifestArrived/), 'Arn'] },
  });
  // A manifest that arrives before its Hive symlink is retried by Lambda.
  t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: functionId() }, MaximumRetryAttempts: 2 });
});

test('past 40 buckets the rule matches any manifest.json under the prefix (EventBridge pattern size), the handler filters', () => {
  const many = Array.from({ length: 21 }, (_, i) => ({ source: `src-${i}`, destinations: [`dst-${i}`] }));
  const config = validateConfig({ monitorRegion: 'us-east-1', replication: many, reconcile: { inventoryBucket: 'inv-bucket' } });
  const tm = Template.fromStack(build(config, { bundle: false }).stacks.monitor);
  tm.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ detail: { bucket: { name: ['inv-bucket'] }, object: { key: [{ wildcard: '*/manifest.json' }] } } }),
  });
});

test('an Athena workgroup that enforces an SSE-S3 result location under the output prefix, and a Glue database', () => {
  t.hasResourceProperties('AWS::Athena::WorkGroup', {
    Name: 'MonitorStack-reconcile',
    State: 'ENABLED',
    RecursiveDeleteOption: true,
    WorkGroupConfiguration: {
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      ResultConfiguration: {
        OutputLocation: 's3://replication-inventories/crr-monitor/reconcile/athena/',
        EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
      },
    },
  });
  t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'monitorstack_reconcile' }) });
});

test('the handler gets its settings (RECONCILE_JSON) and the pairs (CONFIG_JSON), 15 minutes, retried twice', () => {
  const fn = t.toJSON().Resources[functionId()].Properties;
  const settings = parseReconcileSettings(fn.Environment.Variables[ENV.reconcile]);
  expect(settings).toEqual({
    inventoryBucket: 'replication-inventories',
    inventoryPrefix: 'inventories/',
    outputPrefix: 'crr-monitor/reconcile/',
    workgroup: 'MonitorStack-reconcile',
    database: 'monitorstack_reconcile',
  });
  expect(JSON.parse(fn.Environment.Variables[ENV.config]).pairs).toHaveLength(PAIRS);
  expect(fn.Timeout).toBe(900);
});

test('the role: queries in its workgroup, tables in its database, reads of the reports, writes under the output prefix only', () => {
  const bySid = Object.fromEntries(statementsOfRole(t, roleId()).map((s) => [s.Sid, s]));
  const text = (v: unknown) => JSON.stringify(v);
  expect(text(bySid.QueriesInTheReconcileWorkGroup.Resource)).toContain(':workgroup/MonitorStack-reconcile');
  expect(text(bySid.InventoryTablesInTheReconcileDatabase.Resource)).toContain(':table/monitorstack_reconcile/*');
  expect(text(bySid.InventoryTablesInTheReconcileDatabase.Resource)).toContain(':database/monitorstack_reconcile');
  const reads = bySid.ReadInventoryReports.Resource as unknown[];
  expect(reads.map(text)).toEqual(BUCKETS.map((b) => expect.stringContaining(`:s3:::replication-inventories/inventories/${b}/*`)));
  expect(bySid.ReadInventoryReports.Action).toBe('s3:GetObject');
  expect(text(bySid.WriteResultsUnderTheOutputPrefix.Resource)).toContain(':s3:::replication-inventories/crr-monitor/reconcile/*');
  expect(text(bySid.ListTheInventoryBucket.Resource)).toMatch(/:s3:::replication-inventories"/);
  // Nothing on any other bucket, database or workgroup.
  for (const s of statementsOfRole(t, roleId())) expect(text(s.Resource)).not.toMatch(/"\*"|:s3:::\*|workgroup\/\*|database\/\*/);
});

test('MissingReplicas and ReplicaSizeMismatches > 0 alarm per pair to CRRMonitorMetricsTopic, holding until the next reconcile', () => {
  const topic = { Ref: monitor.getLogicalId(monitor.alarmTopic.topic.node.defaultChild as never) };
  for (const metric of ['MissingReplicas', 'ReplicaSizeMismatches']) {
    const alarms = t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } });
    expect(Object.keys(alarms)).toHaveLength(PAIRS);
  }
  t.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'MissingReplicas',
    Namespace: 'CRRMonitor',
    Dimensions: Match.arrayWith([
      { Name: 'DestBucket', Value: 'orders-dst-b' },
      { Name: 'SourceBucket', Value: 'orders-src' },
    ]),
    Statistic: 'Maximum',
    Period: 3600,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'ignore',
    AlarmActions: [topic],
    OKActions: [topic],
  });
  // The other two are published, not alarmed.
  for (const metric of ['OrphanReplicaVersions', 'UnreplicatedVersions']) {
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }))).toHaveLength(0);
  }
});

test('without the option nothing of it is deployed', () => {
  const tm = Template.fromStack(build(minimalConfig(), { bundle: false }).stacks.monitor);
  tm.resourceCountIs('AWS::Athena::WorkGroup', 0);
  tm.resourceCountIs('AWS::Glue::Database', 0);
  tm.resourceCountIs('AWS::Lambda::Function', 2);
});
