import { Match, Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { validateConfig } from '../../lambda/shared/config';
import { METRIC, METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import type { MonitorStack } from '../../lib/stacks/monitor-stack';
import { ARCHIVE_COLUMNS } from '../../lib/constructs/archive';
import { actionsOf, build, fullConfig, minimalConfig, REMOTE_ACCOUNT, statementsOfRole } from './helpers';

let stack: MonitorStack;
let t: Template;
let minimal: MonitorStack;
let tm: Template;

beforeAll(() => {
  stack = build(fullConfig()).stacks.monitor;
  t = Template.fromStack(stack);
  minimal = build(minimalConfig(), { bundle: false }).stacks.monitor;
  tm = Template.fromStack(minimal);
});

const idOf = (s: Stack, c: { node: { defaultChild?: unknown } }) => s.getLogicalId(c.node.defaultChild as never);
const resolveJoin = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"')
    .replace(/\{"Ref":"AWS::AccountId"\}/g, '"ACCOUNT"');
const envOf = (template: Template, functionLogicalId: string) =>
  template.toJSON().Resources[functionLogicalId].Properties.Environment.Variables as Record<string, unknown>;

describe('MonitorStack: environment', () => {
  test('is pinned to monitorRegion and monitorAccount when configured', () => {
    expect(stack.region).toBe('us-east-1');
    expect(stack.account).toBe('222222222222');
  });
  test('stays account-agnostic when monitorAccount is not set', () => {
    expect(minimal.region).toBe('eu-central-1');
    expect(Stack.of(minimal).resolve(minimal.account)).toEqual({ Ref: 'AWS::AccountId' });
  });
});

describe('MonitorStack: CloudTrail trail', () => {
  test('multi-region, logs only write data events (the three object writes) of the monitor account buckets', () => {
    const trails = t.findResources('AWS::CloudTrail::Trail');
    expect(Object.keys(trails)).toHaveLength(1);
    const props = Object.values(trails)[0].Properties;
    expect(props.IsMultiRegionTrail).toBe(true);
    expect(props.EventSelectors).toBeUndefined();
    expect(props.EnableLogFileValidation).toBe(true);
    expect(props.AdvancedEventSelectors).toHaveLength(1);
    const fields = props.AdvancedEventSelectors[0].FieldSelectors as Array<Record<string, unknown>>;
    expect(fields).toEqual(
      expect.arrayContaining([
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'readOnly', Equals: ['false'] },
        { Field: 'eventName', Equals: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'] },
      ]),
    );
    // No management-event selector anywhere.
    expect(fields.some((f) => JSON.stringify(f).includes('Management'))).toBe(false);
    const arns = fields.find((f) => f.Field === 'resources.ARN')!.StartsWith as unknown[];
    const rendered = arns
      .map((a) => JSON.parse(resolveJoin(a)) as { 'Fn::Join': [string, string[]] })
      .map((j) => j['Fn::Join'][1].join(''));
    // The remote account's source is logged by that account's agent trail, not here.
    expect(rendered).toEqual(
      ['media-east', 'media-west', 'orders-dst-a', 'orders-dst-b', 'orders-src', 'partner-dst'].map((b) => `arn:aws:s3:::${b}/`),
    );
  });

  test('log bucket: encrypted, public access blocked, TLS only, lifecycle expiry from the config, retained', () => {
    t.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 60, Status: 'Enabled' })]) },
      },
      DeletionPolicy: 'Retain',
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
  });

  test('the trail bucket admits CloudTrail only for this trail (aws:SourceArn = its ARN) and this account', () => {
    const bucketPolicy = Object.values(t.findResources('AWS::S3::BucketPolicy'))[0].Properties;
    const policy = bucketPolicy.PolicyDocument.Statement as Array<Record<string, any>>;
    const cloudtrail = policy.filter((s) => s.Principal?.Service === 'cloudtrail.amazonaws.com');
    expect(cloudtrail.map((s) => s.Action).sort()).toEqual(['s3:GetBucketAcl', 's3:PutObject']);
    for (const s of cloudtrail) {
      expect(resolveJoin(s.Condition.StringEquals['aws:SourceArn'])).toBe(
        resolveJoin({
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:us-east-1:222222222222:trail/MonitorStack-crr-monitor']],
        }),
      );
      expect(s.Condition.StringEquals['aws:SourceAccount']).toBe('222222222222');
    }
    // The PutObject statement keeps CloudTrail's ACL condition.
    expect(cloudtrail.find((s) => s.Action === 's3:PutObject')!.Condition.StringEquals['s3:x-amz-acl']).toBe('bucket-owner-full-control');
    t.hasResourceProperties('AWS::CloudTrail::Trail', { TrailName: 'MonitorStack-crr-monitor' });
  });

  test('existingTrailArn: no trail and no trail bucket are created', () => {
    const config = validateConfig({ ...minimalConfig(), existingTrailArn: 'arn:aws:cloudtrail:eu-central-1:222222222222:trail/org' });
    const t2 = Template.fromStack(build(config, { bundle: false }).stacks.monitor);
    t2.resourceCountIs('AWS::CloudTrail::Trail', 0);
    t2.resourceCountIs('AWS::S3::Bucket', 0);
  });
});

describe('MonitorStack: intake queue', () => {
  test('CRRMonitorQueue: SSE, visibility timeout fitted to the drain, redrive to the DLQ', () => {
    const queue = stack.intake.queue;
    t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'CRRMonitorQueue',
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 30 + 5,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, stack.intake.deadLetterQueue), 'Arn'] }, maxReceiveCount: 12 },
    });
    const fnTimeout = t.toJSON().Resources[idOf(stack, stack.processing.drain.fn)].Properties.Timeout as number;
    const visibility = t.toJSON().Resources[idOf(stack, queue)].Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * fnTimeout);
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  test('queue policy admits only this monitor’s forwarder topics (exact ARNs), its own rules, and TLS', () => {
    const policies = Object.values(t.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties.Queues).includes(idOf(stack, stack.intake.queue)),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      expect(s.Principal).not.toBe('*');
      expect(s.Condition).toBeDefined();
    }
    const sns = statements.find((s) => s.Principal?.Service === 'sns.amazonaws.com')!;
    const arns = (sns.Condition.ArnEquals['aws:SourceArn'] as unknown[]).map(resolveJoin);
    expect(arns).toHaveLength(3);
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      expect(arns.some((a) => a.includes(`:sns:${region}:`) && a.includes(`CrrForwarder-${region}-Events`))).toBe(true);
    }
    const events = statements.find((s) => s.Principal?.Service === 'events.amazonaws.com')!;
    expect(events.Condition.ArnEquals['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.intake.remoteRules[0]), 'Arn'] });
    expect(statements).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  test('the default event bus admits exactly remoteAccounts; a rule sends their forwarded writes to the queue', () => {
    t.resourceCountIs('AWS::Events::EventBusPolicy', 1);
    const policy = Object.values(t.findResources('AWS::Events::EventBusPolicy'))[0].Properties;
    expect(policy.EventBusName).toBe('default');
    expect(resolveJoin(policy.Statement.Principal.AWS)).toBe(
      resolveJoin([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${REMOTE_ACCOUNT}:root`]] }]),
    );
    expect(policy.Statement.Action).toBe('events:PutEvents');
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        account: [REMOTE_ACCOUNT],
        detail: { eventName: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'], requestParameters: { bucketName: ['partner-src'] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(stack, stack.intake.queue), 'Arn'] } })],
    });
  });

  const queueStatements = (template: Template, monitor: MonitorStack) =>
    Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
      JSON.stringify(p.Properties.Queues).includes(idOf(monitor, monitor.intake.queue)),
    )!.Properties.PolicyDocument.Statement as Array<Record<string, any>>;

  test('the queue denies sqs:SendMessage unless from a forwarder topic, its own rule, the DLQ (redrive) or the redrive role', () => {
    const statements = queueStatements(t, stack);
    const deny = statements.find((s) => s.Effect === 'Deny' && s.Action === 'sqs:SendMessage')!;
    expect(deny.Principal).toEqual({ AWS: '*' });
    expect(deny.Resource).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.intake.queue), 'Arn'] });
    expect(Object.keys(deny.Condition)).toEqual(['ArnNotEquals']);
    const sources = (deny.Condition.ArnNotEquals['aws:SourceArn'] as unknown[]).map(resolveJoin);
    // Exactly the sources the allow statements admit, plus the DLQ as the redrive's possible source.
    const allowed = statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => [s.Condition.ArnEquals['aws:SourceArn']].flat())
      .map(resolveJoin);
    const dlq = resolveJoin({ 'Fn::GetAtt': [idOf(stack, stack.intake.deadLetterQueue), 'Arn'] });
    expect(sources.sort()).toEqual([...allowed, dlq].sort());
    expect(sources).toHaveLength(3 + 1 + 1);
    expect(resolveJoin(deny.Condition.ArnNotEquals['aws:PrincipalArn'])).toBe(
      resolveJoin({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/crr-monitor-redrive-us-east-1']] }),
    );
    // Without remote accounts: the forwarder topic and the DLQ only.
    const minimalDeny = queueStatements(tm, minimal).find((s) => s.Effect === 'Deny' && s.Action === 'sqs:SendMessage')!;
    expect((minimalDeny.Condition.ArnNotEquals['aws:SourceArn'] as unknown[]).map(resolveJoin)).toEqual([
      resolveJoin({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-central-1:', { Ref: 'AWS::AccountId' }, ':CrrForwarder-eu-central-1-Events'],
        ],
      }),
      resolveJoin({ 'Fn::GetAtt': [idOf(minimal, minimal.intake.deadLetterQueue), 'Arn'] }),
    ]);
  });

  test('the redrive role: fixed name, assumable within the account, may move DLQ messages and send to the queue only', () => {
    const role = t.toJSON().Resources[idOf(stack, stack.intake.redriveRole)].Properties;
    expect(role.RoleName).toBe('crr-monitor-redrive-us-east-1');
    expect(resolveJoin(role.AssumeRolePolicyDocument.Statement[0].Principal.AWS)).toContain(':iam::222222222222:root');
    const statements = statementsOfRole(t, idOf(stack, stack.intake.redriveRole));
    const onDlq = statements.find((s) => JSON.stringify(s.Resource).includes(idOf(stack, stack.intake.deadLetterQueue)))!;
    expect(actionsOf(onDlq).sort()).toEqual([
      'sqs:CancelMessageMoveTask',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ListMessageMoveTasks',
      'sqs:ReceiveMessage',
      'sqs:StartMessageMoveTask',
    ]);
    const onQueue = statements.find((s) => s !== onDlq)!;
    expect(actionsOf(onQueue)).toEqual(['sqs:SendMessage']);
    expect(onQueue.Resource).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.intake.queue), 'Arn'] });
    expect(statements).toHaveLength(2);
  });

  test('the bus policy admits remoteAccounts only for aws.s3 CloudTrail API-call events', () => {
    const policy = Object.values(t.findResources('AWS::Events::EventBusPolicy'))[0].Properties;
    expect(policy.Statement.Condition).toEqual({
      StringEquals: { 'events:source': 'aws.s3', 'events:detail-type': 'AWS API Call via CloudTrail' },
    });
  });

  test('no bus policy and no remote rule without remote accounts', () => {
    tm.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    expect(minimal.intake.remoteRules).toHaveLength(0);
  });
});

describe('MonitorStack: table', () => {
  test('pk/sk, on demand, PITR, TTL on expiresAt, due (keys only) and attention indexes, stream only with the archive', () => {
    const expected = {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      // Each index projects only what its reader needs: keys for the sweep's window, the state for the attention set.
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'attention',
          KeySchema: [
            { AttributeName: 'attnShard', KeyType: 'HASH' },
            { AttributeName: 'attnSince', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['attnState'] },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'dueAt', AttributeType: 'N' },
        { AttributeName: 'attnSince', AttributeType: 'N' },
      ]),
    };
    t.hasResourceProperties('AWS::DynamoDB::Table', { ...expected, StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    tm.hasResourceProperties('AWS::DynamoDB::Table', { ...expected, StreamSpecification: Match.absent() });
  });
});

describe('MonitorStack: drain', () => {
  test('Node 24 on arm64, bundled, with every environment variable the handlers read', () => {
    const id = idOf(stack, stack.processing.drain.fn);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 30,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: idOf(stack, stack.processing.drain.logGroup) } },
    });
    const env = envOf(t, id);
    expect(env.TABLE_NAME).toEqual({ Ref: idOf(stack, stack.store.table) });
    expect(env.DUE_INDEX_NAME).toBe('due');
    expect(env.ATTENTION_INDEX_NAME).toBe('attention');
    expect(env.METRICS_NAMESPACE).toBe('CRRMonitor');
    expect(env.DLQ_URL).toEqual({ Ref: idOf(stack, stack.intake.deadLetterQueue) });
    const config = JSON.parse(env.CONFIG_JSON as string);
    expect(config).toEqual({
      pairs: [
        { source: 'orders-src', destination: 'orders-dst-a' },
        { source: 'orders-src', destination: 'orders-dst-b' },
        { source: 'media-east', destination: 'media-west' },
        { source: 'media-west', destination: 'media-east' },
        { source: 'partner-src', destination: 'partner-dst' },
      ],
      retentionHours: 48,
      overdueMinutes: 20,
      agentRoles: { 'partner-src': `arn:aws:iam::${REMOTE_ACCOUNT}:role/crr-monitor-agent-read-us-east-1` },
    });
  });

  test('log groups keep logs for logRetentionDays', () => {
    // drain, sweep, archive handler, Firehose delivery errors, reconcile handler
    t.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 14 }, 5);
    t.resourceCountIs('AWS::Logs::LogGroup', 5);
    tm.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 2);
  });

  test('SQS event source: batches of 100, 5 s window, partial batch responses, maxConcurrency from the config', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: idOf(stack, stack.processing.drain.fn) },
      EventSourceArn: { 'Fn::GetAtt': [idOf(stack, stack.intake.queue), 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 7 },
    });
  });

  test('least privilege: UpdateItem only, HeadObject only on the monitor account buckets, AssumeRole only on agent roles', () => {
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'crr-monitor-drain-us-east-1' });
    const statements = statementsOfRole(t, idOf(stack, stack.processing.drainRole));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actionsOf)).toEqual(['dynamodb:UpdateItem']);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions']);
    const s3Resources = s3.flatMap((s) => [s.Resource].flat()).map(resolveJoin);
    expect(s3Resources).toHaveLength(12);
    expect(s3Resources.some((r) => r.includes('partner-src'))).toBe(false);
    expect(s3Resources.every((r) => r.includes(':s3:::') && !r.includes(':s3:::*'))).toBe(true);
    const sts = statements.find((s) => actionsOf(s).includes('sts:AssumeRole'))!;
    expect(sts.Resource).toBe(`arn:aws:iam::${REMOTE_ACCOUNT}:role/crr-monitor-agent-read-us-east-1`);
    // Nothing on Resource "*" for the drain.
    expect(statements.some((s) => s.Resource === '*')).toBe(false);
    // It may send to the DLQ (unparsable messages).
    expect(statements.some((s) => actionsOf(s).includes('sqs:SendMessage'))).toBe(true);
  });
});

describe('MonitorStack: sweep', () => {
  test('scheduled every minute, one at a time, no retries', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(stack, stack.processing.sweep.fn), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    const fn = t.toJSON().Resources[idOf(stack, stack.processing.sweep.fn)].Properties;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Timeout).toBeLessThan(60);
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf(stack, stack.processing.sweep.fn) },
      MaximumRetryAttempts: 0,
    });
    expect(envOf(t, idOf(stack, stack.processing.sweep.fn)).DUE_INDEX_NAME).toBe('due');
  });

  test('least privilege: Query on the due and attention indexes, BatchGet/Get/UpdateItem, no PutMetricData', () => {
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'crr-monitor-sweep-us-east-1' });
    const statements = statementsOfRole(t, idOf(stack, stack.processing.sweepRole));
    const query = statements.find((s) => actionsOf(s).includes('dynamodb:Query'))!;
    expect(JSON.stringify(query.Resource)).toContain('/index/due');
    expect(JSON.stringify(query.Resource)).toContain('/index/attention');
    expect(
      statements
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort(),
    ).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    // Metrics go out as EMF log lines: no PutMetricData grant, and nothing on Resource '*'.
    expect(statements.flatMap(actionsOf)).not.toContain('cloudwatch:PutMetricData');
    expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
    expect(statements.find((s) => actionsOf(s).includes('sts:AssumeRole'))!.Resource).toBe(
      `arn:aws:iam::${REMOTE_ACCOUNT}:role/crr-monitor-agent-read-us-east-1`,
    );
  });

  test('no s3 or sts permission on "*" anywhere in the stack', () => {
    for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>) {
        if (actionsOf(s).some((a) => a.startsWith('s3:') || a.startsWith('sts:'))) expect(s.Resource).not.toBe('*');
      }
    }
  });

  test('without remote sources, no AssumeRole at all', () => {
    const statements = statementsOfRole(tm, idOf(minimal, minimal.processing.sweepRole));
    expect(statements.some((s) => actionsOf(s).includes('sts:AssumeRole'))).toBe(false);
  });
});

describe('MonitorStack: alarm topic', () => {
  test('CRRMonitorMetricsTopic is encrypted with a customer-managed key CloudWatch may use', () => {
    t.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'CRRMonitorMetricsTopic',
      KmsMasterKeyId: { 'Fn::GetAtt': [idOf(stack, stack.alarmTopic.key), 'Arn'] },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    expect(JSON.stringify(t.toJSON())).not.toContain('alias/aws/sns');
  });

  test('CloudWatch may use the key and the topic only for this account’s alarms (aws:SourceAccount, aws:SourceArn)', () => {
    const key = t.toJSON().Resources[idOf(stack, stack.alarmTopic.key)].Properties.KeyPolicy.Statement as Array<Record<string, any>>;
    const cw = key.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')!;
    expect(cw.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const topicPolicy = Object.values(t.findResources('AWS::SNS::TopicPolicy')).find((p) =>
      JSON.stringify(p.Properties.Topics).includes(idOf(stack, stack.alarmTopic.topic)),
    )!;
    const publish = (topicPolicy.Properties.PolicyDocument.Statement as Array<Record<string, any>>).find(
      (s) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    )!;
    expect(publish.Condition.StringEquals).toEqual({ 'aws:SourceAccount': '222222222222' });
    expect(resolveJoin(publish.Condition.ArnLike['aws:SourceArn'])).toContain(':cloudwatch:us-east-1:222222222222:alarm:*');
  });

  test('e-mail subscription only when alarmEmail is set', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    tm.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('MonitorStack: alarms', () => {
  const topicRef = () => ({ Ref: idOf(stack, stack.alarmTopic.topic) });

  test('FailedReplications > 0 and OverdueReplications > 0 for every pair, 5-minute periods, missing data not breaching', () => {
    for (const metric of [METRIC.FailedReplications, METRIC.OverdueReplications]) {
      const alarms = t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } });
      expect(Object.keys(alarms)).toHaveLength(5);
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: 'FailedReplications',
      Dimensions: Match.arrayWith([
        { Name: 'DestBucket', Value: 'partner-dst' },
        { Name: 'SourceBucket', Value: 'partner-src' },
      ]),
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
  });

  test('DLQ not empty, drain errors and throttles, sweep errors and heartbeat', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(stack, stack.intake.deadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef()],
    });
    for (const metric of ['Errors', 'Throttles']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: idOf(stack, stack.processing.drain.fn) } }],
        Threshold: 0,
        Period: 300,
        AlarmActions: [topicRef()],
      });
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: idOf(stack, stack.processing.sweep.fn) } }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // 5 pairs × (failed, metadata failed, delete marker failed, overdue) + 4 sources × untracked + 6 pipeline alarms
    // + 5 pairs × the reconcile's two.
    t.resourceCountIs('AWS::CloudWatch::Alarm', 5 * 4 + 4 + 6 + 5 * 2);
  });

  test('metadata and delete-marker failures alarm per pair; deleted source versions do not; descriptions carry fix hints', () => {
    for (const metric of [METRIC.MetadataReplicationFailures, METRIC.DeleteMarkerReplicationFailures]) {
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }));
      expect(alarms).toHaveLength(5);
      expect(alarms[0].Properties).toMatchObject({ Namespace: METRICS_NAMESPACE, Statistic: 'Sum', Period: 300, Threshold: 0 });
    }
    expect(
      Object.keys(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: METRIC.SourceVersionsDeleted } })),
    ).toHaveLength(0);
    const description = (metric: string) =>
      Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }))[0].Properties
        .AlarmDescription as string;
    expect(description(METRIC.FailedReplications)).toMatch(/DstPutObjectNotPermitted: .*s3:ReplicateObject/);
    expect(description(METRIC.MetadataReplicationFailures)).toMatch(/DstPutRetentionNotPermitted: .*s3:PutObjectRetention/);
    expect(description(METRIC.DeleteMarkerReplicationFailures)).toMatch(/DstDelObjNotPermitted: .*s3:ReplicateDelete/);
    // CloudWatch's limit is 1,024 characters: room for two more bucket names of the longest S3 allows (63) is left.
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties.AlarmDescription as string).length + 2 * 63).toBeLessThanOrEqual(1024);
    }
  });

  test('UntrackedWrites > 0 per source bucket (its only dimension), 5-minute periods, missing data not breaching', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: METRIC.UntrackedWrites } }));
    expect(alarms.map((a) => a.Properties.Dimensions).sort((x, y) => (x[0].Value < y[0].Value ? -1 : 1))).toEqual(
      ['media-east', 'media-west', 'orders-src', 'partner-src'].map((Value) => [{ Name: 'SourceBucket', Value }]),
    );
    expect(alarms[0].Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
    });
  });
});

describe('MonitorStack: dashboard', () => {
  test('shows per-pair objects, bytes, latency p50/p99, failures, overdue, and queue depth and age', () => {
    const body = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const text of [
      'ReplicationObjects',
      'ReplicationBytes',
      'ReplicationLatency',
      '\\"p50\\"',
      '\\"p99\\"',
      'FailedReplications',
      'OverdueReplications',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'partner-dst',
      'UntrackedWrites',
      'MetadataReplicationFailures',
      'DeleteMarkerReplicationFailures',
      'SourceVersionsDeleted',
    ]) {
      expect(body).toContain(text);
    }
  });
});

describe('MonitorStack: archive', () => {
  test('Firehose to the archive bucket: GZIP, dated prefixes, encrypted', () => {
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        Prefix: 'crr-monitor/records/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^crr-monitor/errors/'),
        BucketARN: Match.anyValue(),
      }),
    });
    expect(
      resolveJoin(
        Object.values(t.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration.BucketARN,
      ),
    ).toContain(':s3:::replication-archive');
  });

  test('archive handler: fed by the table stream (no REMOVE, no sweep cursor), sends with PutRecordBatch to that stream only', () => {
    const archive = stack.archive!;
    const env = envOf(t, idOf(stack, archive.handler.fn));
    expect(env.ARCHIVE_STREAM_NAME).toEqual({ Ref: idOf(stack, archive.deliveryStream) });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: idOf(stack, archive.handler.fn) },
      EventSourceArn: { 'Fn::GetAtt': [idOf(stack, stack.store.table), 'StreamArn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(stack, stack.intake.deadLetterQueue), 'Arn'] } } },
    });
    // TTL expiries (REMOVE) and the sweep cursor's item cannot be outcomes; every other write may be one.
    const mapping = Object.values(
      t.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: idOf(stack, archive.handler.fn) } } }),
    )[0];
    const patterns = mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['#crr-monitor'] }] } } } },
    ]);
    const role = (t.toJSON().Resources[idOf(stack, archive.handler.fn)].Properties.Role as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    const statements = statementsOfRole(t, role);
    const firehose = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('firehose:')));
    expect(firehose.flatMap(actionsOf)).toEqual(['firehose:PutRecordBatch']);
    expect(firehose[0].Resource).toEqual({ 'Fn::GetAtt': [idOf(stack, archive.deliveryStream), 'Arn'] });
  });

  test('Glue database and table with partition projection over the archive prefix', () => {
    // The archive's, and the reconcile's (test/lib/constructs/reconcile.test.ts).
    t.resourceCountIs('AWS::Glue::Database', 2);
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'replications',
        PartitionKeys: [Match.objectLike({ Name: 'dt', Type: 'string' })],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'storage.location.template': 's3://replication-archive/crr-monitor/records/dt=${dt}/',
        }),
        StorageDescriptor: Match.objectLike({
          Location: 's3://replication-archive/crr-monitor/records/',
          Columns: ARCHIVE_COLUMNS.map((c) => Match.objectLike({ Name: c.name, Type: c.type })),
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      }),
    });
  });

  test('nothing of the archive without archiveToS3', () => {
    tm.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    tm.resourceCountIs('AWS::Glue::Table', 0);
    tm.resourceCountIs('AWS::Lambda::Function', 2);
    expect(minimal.archive).toBeUndefined();
  });
});

describe('MonitorStack: deletion', () => {
  test('only the trail log bucket is retained; the table, keys, queues and log groups go with the stack', () => {
    const retained = Object.entries(t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([, r]) => r.Type);
    expect(retained).toEqual(['AWS::S3::Bucket']);
  });

  test('no custom resources', () => {
    const types = Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((x) => x.startsWith('Custom::') || x === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });
});
