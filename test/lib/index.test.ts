/**
 * lib/index.ts is the construct library's public surface (issue 11, item 8): another CDK app composes the stacks from
 * it, and package.json publishes it compiled. The test compiles it as `npm run build:lib` does (into a folder inside
 * the repository, so the handler sources are found as in an installed package) and synthesizes from the output.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as lib from '../../lib';
import { ROOT } from './helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const noBundling = { 'aws:cdk:bundling-stacks': [] };
const config = { monitorRegion: 'eu-west-1', replication: [{ source: 'lib-src', destinations: ['lib-dst'] }] };

test('package.json is ready to publish as a construct library', () => {
  expect(pkg.private).toBeUndefined();
  expect(pkg.keywords).toContain('awscdk');
  expect(pkg.main).toBe('dist/lib/index.js');
  expect(pkg.types).toBe('dist/lib/index.d.ts');
  expect(pkg.scripts['build:lib']).toBe('tsc -p tsconfig.lib.json');
  // The handlers are bundled from their TypeScript sources by the consuming app: they ship with the package.
  expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'lambda/']));
  expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  // The card's packages stay dependencies (the CLI and the app need them installed); as peers a composing app's
  // own copy is the one used.
  expect(pkg.dependencies['aws-cdk-lib']).toBe('2.276.0');
  expect(pkg.dependencies.constructs).toBeDefined();
});

test('another app composes the monitor from the exports, next to its own stacks', () => {
  const app = new App({ context: noBundling });
  const host = new Stack(app, 'HostStack');
  new sqs.Queue(host, 'OwnQueue', { enforceSSL: true });
  const monitorConfig = lib.validateConfig(config);
  const monitor = new lib.MonitorStack(app, 'Replication', { config: monitorConfig, env: { region: 'eu-west-1' } });
  const forwarder = new lib.ForwarderStack(app, lib.forwarderStackName('eu-west-1'), { config: monitorConfig, region: 'eu-west-1' });
  Template.fromStack(monitor).hasResourceProperties('AWS::SQS::Queue', { QueueName: lib.QUEUE_NAME });
  Template.fromStack(forwarder).hasResourceProperties('AWS::SNS::Topic', { TopicName: lib.forwarderTopicName('eu-west-1') });
  expect(monitor.intake.queue).toBeInstanceOf(sqs.Queue);
  expect(() => lib.validateConfig({ monitorRegion: 'eu-west-1' })).toThrow(lib.ConfigError);
});

test('the compiled library (build:lib) exports the stacks and synthesizes them', () => {
  fs.mkdirSync(path.join(ROOT, 'cdk.out'), { recursive: true });
  const outDir = fs.mkdtempSync(path.join(ROOT, 'cdk.out', 'lib-build-'));
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.lib.json', '--outDir', outDir], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    expect(fs.existsSync(path.join(outDir, 'lib', 'index.d.ts'))).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const compiled = require(path.join(outDir, 'lib', 'index.js')) as typeof lib;
    expect(Object.keys(compiled).sort()).toEqual(Object.keys(lib).sort());
    const app = new App({ context: noBundling });
    const stacks = compiled.addCrrMonitorStacks(app, compiled.validateConfig(config));
    expect(stacks.monitor.stackName).toBe(compiled.MONITOR_STACK_NAME);
    const t = Template.fromStack(stacks.monitor);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: compiled.drainRoleName('eu-west-1') });
    expect(stacks.forwarders.map((f) => f.stackName)).toEqual(['CrrForwarder-eu-west-1']);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}, 240_000);
