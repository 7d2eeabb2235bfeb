/**
 * Config `intake` (issue 14): what each mode synthesizes. cloudtrail is today's (the other lib tests cover it in
 * depth); notifications and eventbridge have no trail, a forwarder topic that admits S3 itself from every configured
 * bucket (with its owner's aws:SourceAccount, remote source accounts too), and — eventbridge — rules and a bus that
 * carry S3's `Object Created` events.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IntakeMode, MonitorConfig } from '../../lambda/shared/config';
import { build, fullConfig, MONITOR_ACCOUNT, REMOTE_ACCOUNT, statementsOfRole } from './helpers';

const withIntake = (intake: IntakeMode): MonitorConfig => ({ ...fullConfig(), intake });
const stacksOf = (intake: IntakeMode) => build(withIntake(intake), { bundle: false }).stacks;
type Statement = Record<string, any>;
const topicStatements = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as Statement[];
const text = (v: unknown) => JSON.stringify(v);
const LOCAL_BUCKETS = ['media-east', 'media-west', 'orders-dst-a', 'orders-dst-b', 'orders-src', 'partner-dst'];

describe.each(['notifications', 'eventbridge'] as const)('intake %s', (intake) => {
  const stacks = stacksOf(intake);
  const monitor = Template.fromStack(stacks.monitor);
  const forwarder = Template.fromStack(stacks.forwarders.find((f) => f.region === 'eu-west-1')!);

  test('no trail and no trail bucket, in the monitor and in the agents', () => {
    monitor.resourceCountIs('AWS::CloudTrail::Trail', 0);
    expect(stacks.monitor.trail).toBeUndefined();
    for (const agent of stacks.agents) Template.fromStack(agent).resourceCountIs('AWS::CloudTrail::Trail', 0);
    expect(Object.keys(monitor.findResources('AWS::S3::Bucket'))).toHaveLength(0);
  });

  test('the topic admits S3 from the configured buckets with their owner account, and still denies everyone else', () => {
    const statements = topicStatements(forwarder);
    const s3 = statements.filter((s) => s.Effect === 'Allow' && s.Principal?.Service === 's3.amazonaws.com');
    const byAccount = new Map(
      s3.map((s) => [text(s.Condition.StringEquals['aws:SourceAccount']), text(s.Condition.ArnLike['aws:SourceArn'])]),
    );
    const local = byAccount.get(text({ Ref: 'AWS::AccountId' }))!;
    if (intake === 'notifications') {
      // Sources and destinations of this account, and the remote account's source, each with its own account.
      for (const b of LOCAL_BUCKETS) expect(local).toContain(`:s3:::${b}"`);
      expect(local).not.toContain('partner-src');
      expect(byAccount.get(text(REMOTE_ACCOUNT))).toContain(':s3:::partner-src"');
      expect(s3).toHaveLength(2);
    } else {
      // s3:Replication:* of the local sources only (those never reach EventBridge).
      for (const b of ['media-east', 'media-west', 'orders-src']) expect(local).toContain(`:s3:::${b}"`);
      expect(local).not.toContain('orders-dst-a');
      expect(s3).toHaveLength(1);
    }
    const deny = statements.find((s) => s.Sid === 'DenyPublishUnlessFromTheseRulesOrBuckets')!;
    expect(deny.Principal).toEqual({ AWS: '*' });
    const allowed = text(deny.Condition.ArnNotLike['aws:SourceArn']);
    for (const s of s3) for (const arn of [s.Condition.ArnLike['aws:SourceArn']].flat()) expect(allowed).toContain(text(arn));
  });

  test('the key lets S3 of every notifying account encrypt', () => {
    const key = Object.values(forwarder.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as Statement[];
    const s3 = key.find((s) => s.Principal?.Service === 's3.amazonaws.com')!;
    const accounts = [s3.Condition.StringEquals['aws:SourceAccount']].flat();
    expect(accounts).toContainEqual({ Ref: 'AWS::AccountId' });
    if (intake === 'notifications') expect(accounts).toContain(REMOTE_ACCOUNT);
  });

  test('the forwarder rules: S3 Object Created of the account’s buckets (eventbridge), none (notifications)', () => {
    if (intake === 'notifications') {
      forwarder.resourceCountIs('AWS::Events::Rule', 0);
      expect(topicStatements(forwarder).some((s) => s.Principal?.Service === 'events.amazonaws.com')).toBe(false);
      return;
    }
    forwarder.resourceCountIs('AWS::Events::Rule', 1);
    forwarder.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        account: [{ Ref: 'AWS::AccountId' }],
        detail: { bucket: { name: LOCAL_BUCKETS } },
      },
    });
  });

  test('the monitor bus admits the remote account’s Object Created events only (eventbridge), nothing (notifications)', () => {
    if (intake === 'notifications') {
      monitor.resourceCountIs('AWS::Events::EventBusPolicy', 0);
      // No rule matches forwarded events: the sweep's schedule has no pattern, and the reconcile's rule matches only the
      // inventory bucket's own manifests.
      const inventoryBucket = fullConfig().reconcile!.inventoryBucket;
      const patterns = Object.values(monitor.findResources('AWS::Events::Rule'))
        .map((r) => r.Properties.EventPattern)
        .filter((p) => p !== undefined);
      expect(patterns.filter((p) => text(p.detail?.bucket?.name) !== text([inventoryBucket]))).toEqual([]);
      return;
    }
    monitor.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Principal: { AWS: [Match.objectLike({ 'Fn::Join': Match.anyValue() })] },
        Condition: { StringEquals: { 'events:source': 'aws.s3', 'events:detail-type': 'Object Created' } },
      }),
    });
    monitor.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        account: [REMOTE_ACCOUNT],
        detail: { bucket: { name: ['partner-src'] } },
      },
    });
  });

  test('the agent forwards its buckets’ Object Created events (eventbridge); with notifications only the home read role', () => {
    if (intake === 'notifications') {
      expect(stacks.agents.map((a) => a.stackName)).toEqual([`AgentStack-${REMOTE_ACCOUNT}-us-east-1`]);
      const home = Template.fromStack(stacks.agents[0]);
      home.resourceCountIs('AWS::Events::Rule', 0);
      expect(stacks.agents[0].forwardRole).toBeUndefined();
      expect(stacks.agents[0].readRole).toBeDefined();
      return;
    }
    expect(stacks.agents).toHaveLength(3);
    for (const agent of stacks.agents) {
      const t = Template.fromStack(agent);
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          account: [REMOTE_ACCOUNT],
          detail: { bucket: { name: ['partner-src'] } },
        },
        Targets: [Match.objectLike({ Arn: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })],
      });
      expect(agent.forwardRole).toBeDefined();
    }
  });
});

test('the handlers’ roles do not depend on the intake (the same grants in every mode)', () => {
  const grants = (intake: IntakeMode) => {
    const { monitor } = stacksOf(intake);
    const t = Template.fromStack(monitor);
    const id = (r: { node: { defaultChild?: unknown } }) => monitor.getLogicalId(r.node.defaultChild as never);
    return text([statementsOfRole(t, id(monitor.processing.drainRole)), statementsOfRole(t, id(monitor.processing.sweepRole))]);
  };
  const cloudtrail = grants('cloudtrail');
  expect(grants('notifications')).toBe(cloudtrail);
  expect(grants('eventbridge')).toBe(cloudtrail);
});

test('cloudtrail (the default) keeps the trail and the CloudTrail patterns', () => {
  const stacks = stacksOf('cloudtrail');
  expect(stacks.monitor.trail).toBeDefined();
  Template.fromStack(stacks.forwarders[0]).hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ 'detail-type': ['AWS API Call via CloudTrail'] }),
  });
  expect(MONITOR_ACCOUNT).toBe(stacks.monitor.account);
});
