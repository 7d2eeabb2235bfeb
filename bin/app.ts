#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy ...`. Reads crr-monitor.config.json, or the file given with
 * `-c config=PATH` (or CRR_MONITOR_CONFIG=PATH). A bad config stops synth with every problem named, before any
 * stack is built.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambda/shared/config';
import { addCrrMonitorStacks } from '../lib/app';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config-loader';

const app = new App();
const file = (app.node.tryGetContext('config') as string | undefined) ?? process.env.CRR_MONITOR_CONFIG ?? DEFAULT_CONFIG_FILE;
try {
  addCrrMonitorStacks(app, loadConfig(file));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`crr-monitor: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
app.synth();
