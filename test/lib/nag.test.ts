import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { build, fullConfig, minimalConfig, ROOT } from './helpers';
import type { MonitorConfig } from '../../lambda/shared/config';

// cdk-nag reads CfnEventBusPolicy#principal, which is deprecated: keep the jsii warning out of the test output.
process.env.JSII_DEPRECATED = 'quiet';

/** Synthesize every stack under the cdk-nag AwsSolutions pack; findings (not acknowledged) make synth throw. */
function synthWithNag(config: MonitorConfig) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-nag-'));
  // cdk-nag reads the templates: the handler bundles are not needed (MonitorStack tests bundle them).
  const { app, stacks } = build(config, { bundle: false, outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stacks, assembly: () => app.synth(), outdir };
}

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['every feature (cross-account, archive, e-mail, three regions)', fullConfig],
    ['the defaults', minimalConfig],
    ['every feature, intake notifications', () => ({ ...fullConfig(), intake: 'notifications' as const })],
    ['every feature, intake eventbridge', () => ({ ...fullConfig(), intake: 'eventbridge' as const })],
  ])('%s: no unacknowledged finding in any stack', (_name, config) => {
    const { assembly, stacks } = synthWithNag(config());
    expect(assembly).not.toThrow();
    expect([stacks.monitor, ...stacks.forwarders, ...stacks.agents].every((s) => s instanceof Stack)).toBe(true);
  });

  test('the checks do run: an unencrypted, non-TLS queue is reported', () => {
    const { app } = synthWithNag(minimalConfig());
    const probe = new Stack(app, 'Probe');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqs = require('aws-cdk-lib/aws-sqs') as typeof import('aws-cdk-lib/aws-sqs');
    new sqs.Queue(probe, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });

  test('every acknowledgement carries a reason of substance', () => {
    const sources = fs
      .readdirSync(path.join(ROOT, 'lib', 'constructs'))
      .map((f) => fs.readFileSync(path.join(ROOT, 'lib', 'constructs', f), 'utf8'))
      .join('\n');
    const acknowledgements = sources.split('acknowledge({').length - 1;
    const reasons = [...sources.matchAll(/acknowledge\(\{[\s\S]*?reason:\s*(['"`])([\s\S]*?)\1/g)].map((m) => m[2]);
    expect(reasons.length).toBe(acknowledgements);
    expect(reasons.length).toBeGreaterThan(5);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(60);
  });
});
