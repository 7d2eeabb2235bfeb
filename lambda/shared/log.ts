/** Structured JSON logs, one object per line, as CloudWatch Logs Insights reads them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  component: string,
  level: LogLevel = (process.env.LOG_LEVEL as LogLevel) || 'info',
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  const min = RANK[level] ?? RANK.info;
  const emit = (lvl: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), component, message, ...fields }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Collects log entries in memory (tests, the demo). */
export function memoryLogger(): Logger & { entries: { level: string; message: string; [field: string]: unknown }[] } {
  const entries: { level: string; message: string; [field: string]: unknown }[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => entries.push({ level, message, ...fields });
  return { entries, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

export function errorFields(error: unknown): Record<string, unknown> {
  const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { errorName: err?.name ?? 'Error', errorMessage: err?.message ?? String(error), httpStatus: err?.$metadata?.httpStatusCode };
}
