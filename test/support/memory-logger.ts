/** Collects log entries in memory, for tests that assert what a handler logged. */
import type { Logger } from '../../lambda/shared/log';

export type LogEntry = { level: string; message: string; [field: string]: unknown };

export function memoryLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => entries.push({ level, message, ...fields });
  return { entries, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}
