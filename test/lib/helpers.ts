import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { validateConfig, type MonitorConfig } from '../../lambda/shared/config';
import { addCrrMonitorStacks, type CrrMonitorStacks } from '../../lib/app';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MONITOR_ACCOUNT = '222222222222';
export const REMOTE_ACCOUNT = '111111111111';

/** Every feature on: several regions, multi-destination, bi-directional and cross-account pairs, archive, e-mail, reconcile. */
export const fullConfig = (): MonitorConfig =>
  validateConfig({
    monitorRegion: 'us-east-1',
    regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    monitorAccount: MONITOR_ACCOUNT,
    remoteAccounts: [REMOTE_ACCOUNT],
    replication: [
      { source: 'orders-src', destinations: ['orders-dst-a', 'orders-dst-b'] },
      { source: 'media-east', destinations: ['media-west'] },
      { source: 'media-west', destinations: ['media-east'] },
      { source: 'partner-src', destinations: ['partner-dst'], sourceAccount: REMOTE_ACCOUNT },
    ],
    archiveToS3: true,
    archiveBucket: 'replication-archive',
    alarmEmail: 'ops@example.com',
    retentionHours: 48,
    overdueMinutes: 20,
    maxConcurrency: 7,
    logRetentionDays: 14,
    trailLogExpirationDays: 60,
    reconcile: { inventoryBucket: 'replication-inventories', inventoryPrefix: 'inventories/' },
  });

/** The defaults: one pair, no account, no archive, no e-mail. */
export const minimalConfig = (): MonitorConfig =>
  validateConfig({ monitorRegion: 'eu-central-1', replication: [{ source: 'src-bucket', destinations: ['dst-bucket'] }] });

export interface BuildOptions {
  /** Bundle the handlers with esbuild (default true). Tests about other stacks skip it: it is the slow part. */
  readonly bundle?: boolean;
  readonly outdir?: string;
}

/** An App with the feature flags of cdk.json, as `npx cdk synth` runs it. */
function newApp(options: BuildOptions = {}): App {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const context: Record<string, unknown> = { ...cdkJson.context };
  // The CDK's own switch (what `cdk deploy --exclusively` uses): no stack bundles its assets.
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  return new App({ context, outdir: options.outdir });
}

export function build(config: MonitorConfig, options: BuildOptions = {}): { app: App; stacks: CrrMonitorStacks } {
  const app = newApp(options);
  return { app, stacks: addCrrMonitorStacks(app, config) };
}

/** All statements of all IAM policies (inline and AWS::IAM::Policy) attached to a role's logical id. */
export function statementsOfRole(t: Template, roleLogicalId: string): Array<Record<string, unknown>> {
  const statements: Array<Record<string, unknown>> = [];
  for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
    const roles = (policy.Properties.Roles ?? []) as Array<{ Ref: string }>;
    if (roles.some((r) => r.Ref === roleLogicalId)) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  return statements;
}

/** The actions of a statement as a list. */
export const actionsOf = (s: Record<string, unknown>): string[] =>
  Array.isArray(s.Action) ? (s.Action as string[]) : [s.Action as string];
