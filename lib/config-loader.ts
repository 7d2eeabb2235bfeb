import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, parseConfigText, validateConfig, type MonitorConfig } from '../lambda/shared/config';

/** The config file used when none is given (`-c config=PATH` or CRR_MONITOR_CONFIG). */
export const DEFAULT_CONFIG_FILE = 'crr-monitor.config.json';

/** Read, parse (comments allowed) and validate a config file. Throws ConfigError naming the file and fields. */
export function loadConfig(file: string, cwd: string = process.cwd()): MonitorConfig {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(
      '(file)',
      `${file}: ${reason} (copy crr-monitor.config.example.jsonc to ${DEFAULT_CONFIG_FILE}, or pass -c config=PATH)`,
    );
  }
  return validateConfig(parseConfigText(text, file), file);
}
