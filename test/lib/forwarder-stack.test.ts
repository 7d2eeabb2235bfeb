import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ForwarderStack } from '../../lib/stacks/forwarder-stack';
import { build, fullConfig, minimalConfig } from './helpers';

let forwarders: ForwarderStack[];
let stack: ForwarderStack;
let t: Template;

beforeAll(() => {
  forwarders = build(fullConfig(), { bundle: false }).stacks.forwarders;
  stack = forwarders.find((f) => f.region === 'eu-west-1')!;
  t = Template.fromStack(stack);
});

const idOf = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const text = (v: unknown) => JSON.stringify(v);

test('one CrrForwarder-<region> stack per configured region, in that region and the monitor account', () => {
  expect(forwarders.map((f) => f.stackName)).toEqual(['CrrForwarder-us-east-1', 'CrrForwarder-us-west-2', 'CrrForwarder-eu-west-1']);
  expect(forwarders.map((f) => f.region)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
  expect(new Set(forwarders.map((f) => f.account))).toEqual(new Set(['222222222222']));
  expect(build(minimalConfig(), { bundle: false }).stacks.forwarders.map((f) => f.stackName)).toEqual(['CrrForwarder-eu-central-1']);
});

test('the rule matches the CloudTrail object-write events of the monitor account buckets, in this account only', () => {
  t.resourceCountIs('AWS::Events::Rule', 1);
  t.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      account: [{ Ref: 'AWS::AccountId' }],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'],
        requestParameters: { bucketName: ['media-east', 'media-west', 'orders-dst-a', 'orders-dst-b', 'orders-src', 'partner-dst'] },
      },
    },
    Targets: [Match.objectLike({ Arn: { Ref: idOf(stack.forwarder.topic) }, RoleArn: Match.absent() })],
  });
});

const topicStatements = () =>
  Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as Array<Record<string, any>>;
const ruleArn = () => ({ 'Fn::GetAtt': [idOf(stack.forwarder.rules[0]), 'Arn'] });

test('EventBridge may publish only as this stack’s rule (aws:SourceArn), in this account; no role, no unconditioned grant', () => {
  t.resourceCountIs('AWS::IAM::Role', 0);
  const events = topicStatements().filter((s) => s.Principal?.Service === 'events.amazonaws.com');
  expect(events).toEqual([
    expect.objectContaining({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: idOf(stack.forwarder.topic) },
      Condition: { ArnEquals: { 'aws:SourceArn': [ruleArn()] }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }),
  ]);
  // The key lets EventBridge encrypt for this account only.
  const key = Object.values(t.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as Array<Record<string, any>>;
  expect(key.find((s) => s.Principal?.Service === 'events.amazonaws.com')).toEqual(
    expect.objectContaining({ Effect: 'Allow', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
  );
});

test('the topic denies sns:Publish to everyone whose aws:SourceArn is not this stack’s rule or a monitored source bucket', () => {
  const deny = topicStatements().find((s) => s.Effect === 'Deny' && s.Condition?.ArnNotLike)!;
  expect(deny.Action).toBe('sns:Publish');
  expect(deny.Principal).toEqual({ AWS: '*' });
  expect(deny.Resource).toEqual({ Ref: idOf(stack.forwarder.topic) });
  expect(Object.keys(deny.Condition)).toEqual(['ArnNotLike']);
  expect(Object.keys(deny.Condition.ArnNotLike)).toEqual(['aws:SourceArn']);
  const sources = deny.Condition.ArnNotLike['aws:SourceArn'] as unknown[];
  expect(sources[0]).toEqual(ruleArn());
  const buckets = sources.slice(1).map(text);
  expect(buckets).toHaveLength(3);
  for (const b of ['media-east', 'media-west', 'orders-src']) expect(buckets.some((x) => x.includes(`:s3:::${b}"`))).toBe(true);
  // Every source the allows admit is exempt from the deny, and nothing else is.
  const allowed = topicStatements()
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => [s.Condition?.ArnEquals?.['aws:SourceArn'] ?? s.Condition?.ArnLike?.['aws:SourceArn']].flat())
    .map(text);
  expect(allowed.sort()).toEqual(sources.map(text).sort());
});

test('the topic is KMS-encrypted (key rotation on), TLS only, named after its stack', () => {
  t.hasResourceProperties('AWS::SNS::Topic', {
    TopicName: 'CrrForwarder-eu-west-1-Events',
    KmsMasterKeyId: { 'Fn::GetAtt': [idOf(stack.forwarder.key), 'Arn'] },
  });
  t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  t.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    },
  });
});

test('the central queue in the monitor region is subscribed, cross-region, with raw message delivery', () => {
  t.resourceCountIs('AWS::SNS::Subscription', 1);
  const sub = Object.values(t.findResources('AWS::SNS::Subscription'))[0].Properties;
  expect(sub.Protocol).toBe('sqs');
  expect(sub.RawMessageDelivery).toBe(true);
  expect(sub.TopicArn).toEqual({ Ref: idOf(stack.forwarder.topic) });
  expect(text(sub.Endpoint)).toBe(
    text({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:us-east-1:', { Ref: 'AWS::AccountId' }, ':CRRMonitorQueue']] }),
  );
});

test('S3 may publish replication notifications of the local source buckets only (topic and key)', () => {
  const policy = Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as Array<
    Record<string, any>
  >;
  const s3 = policy.find((s) => s.Principal?.Service === 's3.amazonaws.com')!;
  const arns = text(s3.Condition.ArnLike['aws:SourceArn']);
  for (const b of ['orders-src', 'media-east', 'media-west']) expect(arns).toContain(`:s3:::${b}"`);
  expect(arns).not.toContain('partner-src');
  expect(arns).not.toContain('orders-dst-a');
  expect(s3.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  t.hasResourceProperties('AWS::KMS::Key', {
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Principal: { Service: 's3.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }),
      ]),
    },
  });
});

test('many buckets are split over several rules, each pattern under the EventBridge size quota', () => {
  const names = Array.from({ length: 60 }, (_, i) => `bucket-with-a-fairly-long-name-for-testing-${String(i).padStart(3, '0')}`);
  const config = fullConfig();
  config.replication = [{ source: names[0], destinations: names.slice(1) }];
  config.remoteAccounts = [];
  const big = Template.fromStack(build(config, { bundle: false }).stacks.forwarders[0]);
  const rules = Object.values(big.findResources('AWS::Events::Rule'));
  expect(rules.length).toBeGreaterThan(1);
  const covered = rules.flatMap((r) => r.Properties.EventPattern.detail.requestParameters.bucketName as string[]);
  expect(covered.sort()).toEqual([...names].sort());
  for (const r of rules) expect(JSON.stringify(r.Properties.EventPattern).length).toBeLessThan(2048);
});
