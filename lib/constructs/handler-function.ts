import * as path from 'path';
import { RemovalPolicy, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS } from '../defaults';

/** The repository root: entry files are resolved from here, and esbuild runs here with the root lock file. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

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
    this.role = props.role ?? new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
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
