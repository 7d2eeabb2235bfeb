/**
 * The handlers' logger: Powertools for AWS Lambda's Logger (structured JSON, one object per line). Its level comes
 * from Lambda's log-level controls (the function's `applicationLogLevelV2`, seen as AWS_LAMBDA_LOG_LEVEL), set in
 * lib/constructs/handler-function.ts. The handlers depend only on the `Logger` port below, so that the local pipeline
 * and the tests can pass their own (tools/local-pipeline/logger.ts, test/support/memory-logger.ts).
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The logger of one handler (`component` is a key of every entry). */
export function createLogger(component: string): Logger {
  const logger = new PowertoolsLogger({ serviceName: 'crr-monitor', persistentKeys: { component } });
  // Powertools takes the fields as one extra object; without fields it is called with the message alone.
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void =>
      fields ? logger[level](message, fields) : logger[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function errorFields(error: unknown): Record<string, unknown> {
  const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { errorName: err?.name ?? 'Error', errorMessage: err?.message ?? String(error), httpStatus: err?.$metadata?.httpStatusCode };
}
