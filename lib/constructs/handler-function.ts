import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS } from '../defaults';

/**
 * The package root (the nearest folder with a package.json above this file: `lib/constructs/` in the repository,
 * `dist/lib/constructs/` once compiled as a library). Handler entries (`lambda/**`, shipped as TypeScript) are
 * resolved from here.
 */
const PROJECT_ROOT = packageRoot(__dirname);

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`crr-monitor: no package.json above ${from}`);
  }
}

/**
 * In the repository esbuild runs at the root with its lock file. Installed as a library (no lock file is published),
 * NodejsFunction finds the consuming app's lock file itself, and bundles from that app's root.
 */
const LOCK_FILE = path.join(PROJECT_ROOT, 'package-lock.json');
const OWN_LOCK_FILE = fs.existsSync(LOCK_FILE);

export interface HandlerFunctionProps {
  /** Entry file relative to the repository root, e.g. `lambda/drain/index.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logRetentionDays: number;
  /** An execution role (e.g. with a fixed name an agent role trusts); otherwise one is created. Either way it gets no managed policy. */
  readonly role?: iam.IRole;
  readonly reservedConcurrentExecutions?: number;
  /** Asynchronous invocations only (e.g. schedules): retries after a function error. */
  readonly retryAttempts?: number;
}

/**
 * A handler bundled by the local esbuild (no Docker): Node 24 (the current Lambda runtime) on arm64, minified with source maps, the AWS SDK v3
 * bundled at the locked version, its own log group with a retention, JSON logs, X-Ray tracing off (the metrics tell the story).
 */
export class HandlerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.role =
      props.role ??
      new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: OWN_LOCK_FILE ? PROJECT_ROOT : undefined,
      depsLockFilePath: OWN_LOCK_FILE ? LOCK_FILE : undefined,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: DEFAULTS.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Powertools Logger reads this level (AWS_LAMBDA_LOG_LEVEL): change it on the function, no redeploy of code.
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      bundling: {
        minify: true,
        sourceMap: true,
        // The runtime is Node 24; node22 syntax keeps the bundle loadable by the Node 20+ toolchain that tests it.
        target: 'node22',
        format: OutputFormat.CJS,
        // Bundle the SDK versions the tests ran against instead of whatever the runtime ships.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
    // No AWSLambdaBasicExecutionRole: the role may write to this function's log group and nowhere else.
    this.logGroup.grantWrite(this.role);
  }
}
