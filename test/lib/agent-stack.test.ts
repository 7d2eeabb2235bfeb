import { Match, Template } from 'aws-cdk-lib/assertions';
import type { AgentStack } from '../../lib/stacks/agent-stack';
import { validateConfig } from '../../lambda/shared/config';
import { actionsOf, build, fullConfig, MONITOR_ACCOUNT, REMOTE_ACCOUNT, statementsOfRole } from './helpers';

let agents: AgentStack[];
let home: AgentStack;
let other: AgentStack;
let th: Template;
let to: Template;

beforeAll(() => {
  agents = build(fullConfig(), { bundle: false }).stacks.agents;
  home = agents.find((a) => a.region === 'us-east-1')!;
  other = agents.find((a) => a.region === 'eu-west-1')!;
  th = Template.fromStack(home);
  to = Template.fromStack(other);
});

const text = (v: unknown) => JSON.stringify(v);

test('one AgentStack-<account>-<region> per remote source account and region, pinned to that account', () => {
  expect(agents.map((a) => a.stackName)).toEqual([
    `AgentStack-${REMOTE_ACCOUNT}-us-east-1`,
    `AgentStack-${REMOTE_ACCOUNT}-us-west-2`,
    `AgentStack-${REMOTE_ACCOUNT}-eu-west-1`,
  ]);
  expect(agents.every((a) => a.account === REMOTE_ACCOUNT)).toBe(true);
  expect(agents.filter((a) => a.readRole).map((a) => a.region)).toEqual(['us-east-1']);
});

test('no agent stacks without cross-account sources', () => {
  const config = validateConfig({ monitorRegion: 'us-east-1', replication: [{ source: 'aaa-src', destinations: ['aaa-dst'] }] });
  expect(build(config, { bundle: false }).stacks.agents).toEqual([]);
});

test('rules forward the account’s source-bucket writes to the monitor account’s default bus in the monitor region', () => {
  for (const t of [th, to]) {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        account: [REMOTE_ACCOUNT],
        detail: { eventName: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'], requestParameters: { bucketName: ['partner-src'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:us-east-1:${MONITOR_ACCOUNT}:event-bus/default`]] },
          RoleArn: Match.anyValue(),
        }),
      ],
    });
  }
});

test('the home stack has a trail logging only the account’s source-bucket writes; other regions have none', () => {
  const trail = Object.values(th.findResources('AWS::CloudTrail::Trail'))[0].Properties;
  expect(trail.IsMultiRegionTrail).toBe(true);
  expect(text(trail.AdvancedEventSelectors)).toContain(':s3:::partner-src/');
  expect(text(trail.AdvancedEventSelectors)).not.toContain('partner-dst');
  to.resourceCountIs('AWS::CloudTrail::Trail', 0);
  to.resourceCountIs('AWS::IAM::Role', 1); // only the EventBridge role of the rule
});

test('the read role: fixed name, trusted only by the monitor’s drain and sweep roles, HeadObject on the source bucket only', () => {
  th.hasResourceProperties('AWS::IAM::Role', {
    RoleName: 'crr-monitor-agent-read-us-east-1',
    AssumeRolePolicyDocument: {
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${MONITOR_ACCOUNT}:root`]] } },
          Condition: {
            ArnEquals: {
              'aws:PrincipalArn': [
                `arn:aws:iam::${MONITOR_ACCOUNT}:role/crr-monitor-drain-us-east-1`,
                `arn:aws:iam::${MONITOR_ACCOUNT}:role/crr-monitor-sweep-us-east-1`,
              ],
            },
          },
        },
      ],
    },
  });
  const statements = statementsOfRole(th, home.getLogicalId(home.readRole!.role.node.defaultChild as never));
  expect(statements.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions']);
  const resources = text(statements.map((s) => s.Resource));
  expect(resources).toContain(':s3:::partner-src/*');
  expect(resources).not.toMatch(/"\*"/);
});

test('the role the monitor assumes is exactly the one the agent creates', () => {
  const { monitor } = build(fullConfig(), { bundle: false }).stacks;
  const drain =
    Template.fromStack(monitor).toJSON().Resources[monitor.getLogicalId(monitor.processing.drain.fn.node.defaultChild as never)];
  const roles = JSON.parse(drain.Properties.Environment.Variables.CONFIG_JSON).agentRoles as Record<string, string>;
  const roleName = Object.values(th.findResources('AWS::IAM::Role'))
    .map((r) => r.Properties.RoleName)
    .find(Boolean);
  expect(roles['partner-src']).toBe(`arn:aws:iam::${REMOTE_ACCOUNT}:role/${roleName}`);
});

test('EventBridge may assume the forwarding role only for this stack’s own rules, in this account', () => {
  th.hasResourceProperties('AWS::Events::Rule', { Name: `AgentStack-${REMOTE_ACCOUNT}-us-east-1-ObjectWrites0` });
  const role = th.toJSON().Resources[home.getLogicalId(home.forwardRole!.node.defaultChild as never)].Properties;
  const trust = role.AssumeRolePolicyDocument.Statement as Array<Record<string, any>>;
  expect(trust).toHaveLength(1);
  expect(trust[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
  expect(trust[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': REMOTE_ACCOUNT });
  expect(JSON.parse(text(trust[0].Condition.ArnEquals['aws:SourceArn']).replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"'))).toEqual([
    { 'Fn::Join': ['', ['arn:', 'aws', `:events:us-east-1:${REMOTE_ACCOUNT}:rule/AgentStack-${REMOTE_ACCOUNT}-us-east-1-ObjectWrites0`]] },
  ]);
  // Every rule of the stack targets the bus through that role.
  const roleRef = { 'Fn::GetAtt': [home.getLogicalId(home.forwardRole!.node.defaultChild as never), 'Arn'] };
  for (const rule of Object.values(th.findResources('AWS::Events::Rule'))) expect(rule.Properties.Targets[0].RoleArn).toEqual(roleRef);
});

test('the agent trail’s bucket admits CloudTrail only for that trail (aws:SourceArn) and account', () => {
  const policy = Object.values(th.findResources('AWS::S3::BucketPolicy'))[0].Properties;
  const statements = policy.PolicyDocument.Statement as Array<Record<string, any>>;
  const cloudtrail = statements.filter((s) => s.Principal?.Service === 'cloudtrail.amazonaws.com');
  expect(cloudtrail.map((s) => s.Action).sort()).toEqual(['s3:GetBucketAcl', 's3:PutObject']);
  for (const s of cloudtrail) {
    const trailArn = `:cloudtrail:us-east-1:${REMOTE_ACCOUNT}:trail/AgentStack-${REMOTE_ACCOUNT}-us-east-1-crr-monitor`;
    expect(text(s.Condition.StringEquals['aws:SourceArn'])).toContain(trailArn);
    expect(s.Condition.StringEquals['aws:SourceAccount']).toBe(REMOTE_ACCOUNT);
  }
  th.hasResourceProperties('AWS::CloudTrail::Trail', { TrailName: `AgentStack-${REMOTE_ACCOUNT}-us-east-1-crr-monitor` });
});
