/** The local pipeline's logger: the handlers' Logger port as JSON lines to a writer, entries below `level` dropped. */
import type { Logger } from '../../lambda/shared/log';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function lineLogger(component: string, level: LogLevel, write: (line: string) => void): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), component, message, ...fields }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
