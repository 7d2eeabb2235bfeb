/**
 * The crr-monitor configuration: its types, its defaults and its validation.
 *
 * Pure TypeScript (no fs, no SDK): the CDK app (bin/app.ts via lib/config-loader.ts), the CLI
 * (`crr-monitor analyze --config FILE`) and the Lambda handlers all read the same shape.
 * `validateConfig` collects every problem it finds and throws one ConfigError that names each field
 * path, so that a bad file fails synth before anything is built.
 */

/** One replication rule: objects written to `source` are expected in every bucket of `destinations`. */
export interface ReplicationRule {
  source: string;
  destinations: string[];
  /** The 12-digit account that owns `source` when it is not the monitor account (cross-account). */
  sourceAccount?: string;
}

export interface MonitorConfig {
  /** The region of MonitorStack: queue, table, functions, alarms. */
  monitorRegion: string;
  /** The regions that hold monitored buckets: one CrrForwarder-<region> stack each. */
  regions: string[];
  replication: ReplicationRule[];
  /** Accounts that hold source buckets and run AgentStack; the monitor's event bus admits exactly these. */
  remoteAccounts: string[];
  /** The account that runs MonitorStack. Required when remoteAccounts is not empty (the agents name it). */
  monitorAccount?: string;
  archiveToS3: boolean;
  /** Name of an existing bucket that receives the archive (Firehose), when archiveToS3. */
  archiveBucket?: string;
  /** Subscribed to CRRMonitorMetricsTopic by e-mail when set. */
  alarmEmail?: string;
  /** How long a replication record is kept in DynamoDB (TTL on `expiresAt`). */
  retentionHours: number;
  /** A version still pending this long after its source write is OVERDUE. */
  overdueMinutes: number;
  /** Maximum concurrent drain invocations (SQS event source mapping; at least 2). */
  maxConcurrency: number;
  /** Use this existing trail instead of creating one; it must log write data events of every monitored bucket. */
  existingTrailArn?: string;
  /** Retention of the functions' CloudWatch log groups, in days. */
  logRetentionDays: number;
  /** Days after which CloudTrail log files in the trail bucket expire. */
  trailLogExpirationDays: number;
}

/** What a config file may leave out, and the value it then gets. */
export const CONFIG_DEFAULTS = {
  remoteAccounts: [] as string[],
  archiveToS3: false,
  retentionHours: 24,
  overdueMinutes: 15,
  maxConcurrency: 5,
  logRetentionDays: 30,
  trailLogExpirationDays: 90,
} as const;

/** Regions accepted in `monitorRegion` and `regions`: commercial, GovCloud and China partitions. */
export const AWS_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1', 'ap-east-2',
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1',
  'eu-central-1', 'eu-central-2',
  'eu-north-1',
  'eu-south-1', 'eu-south-2',
  'eu-west-1', 'eu-west-2', 'eu-west-3',
  'il-central-1',
  'me-central-1', 'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'us-gov-east-1', 'us-gov-west-1',
  'cn-north-1', 'cn-northwest-1',
];

/** Limits that keep the generated resources deployable. */
export const CONFIG_LIMITS = {
  /** CloudTrail allows 500 values across all advanced event selector conditions of a trail; 10 are used by the fixed fields. */
  maxMonitoredBuckets: 490,
  /** Lambda SQS event source mapping: MaximumConcurrency is 2..1000. */
  minConcurrency: 2,
  maxConcurrency: 1000,
  /** DynamoDB TTL and the sweep's horizon: at most 90 days. */
  maxRetentionHours: 24 * 90,
  /** Valid values for CloudWatch Logs retention (days). */
  logRetentionDays: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653],
} as const;

const KNOWN_FIELDS = [
  'monitorRegion', 'regions', 'replication', 'remoteAccounts', 'monitorAccount', 'archiveToS3', 'archiveBucket',
  'alarmEmail', 'retentionHours', 'overdueMinutes', 'maxConcurrency', 'existingTrailArn', 'logRetentionDays',
  'trailLogExpirationDays',
];
const RULE_FIELDS = ['source', 'destinations', 'sourceAccount'];

/** One problem in a config file. */
export interface ConfigProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * A config file that cannot be used. `field` is the path of the first problem (e.g. `replication[1].destinations[0]`);
 * `problems` lists all of them; the message names every one, each with its field path.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(readonly field: string, message: string, problems?: readonly ConfigProblem[]) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems ?? [{ field, message }];
  }
}

/** Why `name` is not a valid general purpose S3 bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (name.startsWith(prefix)) return `must not start with the reserved prefix '${prefix}'`;
  }
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (name.endsWith(suffix)) return `must not end with the reserved suffix '${suffix}'`;
  }
  return undefined;
}

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{12}$/.test(value);
}

export function isRegion(value: unknown): value is string {
  return typeof value === 'string' && AWS_REGIONS.includes(value);
}

/** The partition of a region: `aws`, `aws-us-gov` or `aws-cn`. */
export function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRAIL_ARN = /^arn:aws(-us-gov|-cn)?:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/;

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/**
 * Check a parsed config file and fill in defaults. Throws ConfigError naming every problem found
 * (`origin`, e.g. the file name, prefixes the message).
 */
export function validateConfig(raw: unknown, origin?: string): MonitorConfig {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, message: string) => problems.push({ field, message });

  const finish = (): never => {
    const where = origin ? `${origin}: ` : '';
    const lines = problems.map((p) => `${p.field}: ${p.message}`);
    const message =
      lines.length === 1
        ? `${where}invalid configuration: ${lines[0]}`
        : `${where}invalid configuration (${lines.length} problems):\n  ${lines.join('\n  ')}`;
    throw new ConfigError(problems[0].field, message, problems);
  };

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('(root)', `must be a JSON object, got ${Array.isArray(raw) ? 'an array' : show(raw)}`);
    return finish();
  }
  const input = raw as Record<string, unknown>;

  for (const key of Object.keys(input)) {
    if (key.startsWith('$') || key.startsWith('//')) continue; // "$schema", "//": comments
    if (!KNOWN_FIELDS.includes(key)) {
      const close = KNOWN_FIELDS.find((k) => k.toLowerCase() === key.toLowerCase());
      fail(key, `unknown field${close ? ` (did you mean '${close}'?)` : ''}; known fields: ${KNOWN_FIELDS.join(', ')}`);
    }
  }

  const region = (field: string, value: unknown): string | undefined => {
    if (typeof value !== 'string') {
      fail(field, `must be a region name string, got ${show(value)}`);
      return undefined;
    }
    if (!isRegion(value)) {
      fail(field, `${show(value)} is not an AWS region (expected e.g. 'us-east-1')`);
      return undefined;
    }
    return value;
  };
  const account = (field: string, value: unknown): string | undefined => {
    if (!isAccountId(value)) {
      fail(field, `${show(value)} is not a 12-digit AWS account id`);
      return undefined;
    }
    return value;
  };
  const bucket = (field: string, value: unknown): string | undefined => {
    if (typeof value !== 'string') {
      fail(field, `must be a bucket name string, got ${show(value)}`);
      return undefined;
    }
    const problem = bucketNameProblem(value);
    if (problem) {
      fail(field, `${show(value)} is not a valid S3 bucket name (${problem})`);
      return undefined;
    }
    return value;
  };
  const positiveInt = (field: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number => {
    const value = input[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      fail(field, `must be ${range}, got ${show(value)}`);
      return fallback;
    }
    return value;
  };
  const optionalString = (field: string): string | undefined => {
    const value = input[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      fail(field, `must be a non-empty string, got ${show(value)}`);
      return undefined;
    }
    return value;
  };

  // monitorRegion, regions
  let monitorRegion = '';
  if (input.monitorRegion === undefined) fail('monitorRegion', 'is required (the region of MonitorStack, e.g. "us-east-1")');
  else monitorRegion = region('monitorRegion', input.monitorRegion) ?? '';

  let regions: string[] = monitorRegion ? [monitorRegion] : [];
  if (input.regions !== undefined) {
    if (!Array.isArray(input.regions) || input.regions.length === 0) {
      fail('regions', `must be a non-empty list of region names, got ${show(input.regions)}`);
    } else {
      regions = [];
      input.regions.forEach((value, i) => {
        const r = region(`regions[${i}]`, value);
        if (r === undefined) return;
        if (regions.includes(r)) fail(`regions[${i}]`, `${show(r)} is listed twice`);
        else regions.push(r);
      });
    }
  }
  if (monitorRegion) {
    const partition = partitionOf(monitorRegion);
    regions.forEach((r, i) => {
      if (partitionOf(r) !== partition) {
        fail(`regions[${i}]`, `${show(r)} is in partition ${partitionOf(r)}, but monitorRegion ${show(monitorRegion)} is in ${partition}`);
      }
    });
  }

  // accounts
  let monitorAccount: string | undefined;
  if (input.monitorAccount !== undefined) monitorAccount = account('monitorAccount', input.monitorAccount);
  const remoteAccounts: string[] = [];
  if (input.remoteAccounts !== undefined) {
    if (!Array.isArray(input.remoteAccounts)) {
      fail('remoteAccounts', `must be a list of 12-digit account ids, got ${show(input.remoteAccounts)}`);
    } else {
      input.remoteAccounts.forEach((value, i) => {
        const a = account(`remoteAccounts[${i}]`, value);
        if (a === undefined) return;
        if (remoteAccounts.includes(a)) fail(`remoteAccounts[${i}]`, `${show(a)} is listed twice`);
        else if (a === monitorAccount) fail(`remoteAccounts[${i}]`, `${show(a)} is the monitorAccount; list only the other accounts`);
        else remoteAccounts.push(a);
      });
    }
  }
  if (remoteAccounts.length > 0 && input.monitorAccount === undefined) {
    fail('monitorAccount', 'is required when remoteAccounts is not empty (the agents forward events to, and trust roles of, this account)');
  }

  // replication
  const replication: ReplicationRule[] = [];
  const pairSeen = new Map<string, string>();
  const sourceAccountOf = new Map<string, { account: string | undefined; field: string }>();
  if (input.replication === undefined) {
    fail('replication', 'is required: a list of { "source": bucket, "destinations": [bucket, ...] }');
  } else if (!Array.isArray(input.replication) || input.replication.length === 0) {
    fail('replication', `must be a non-empty list of rules, got ${show(input.replication)}`);
  } else {
    input.replication.forEach((value, i) => {
      const at = `replication[${i}]`;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(at, `must be an object { "source", "destinations", "sourceAccount"? }, got ${show(value)}`);
        return;
      }
      const rule = value as Record<string, unknown>;
      for (const key of Object.keys(rule)) {
        if (!RULE_FIELDS.includes(key)) fail(`${at}.${key}`, `unknown field; known fields: ${RULE_FIELDS.join(', ')}`);
      }
      const source = rule.source === undefined ? (fail(`${at}.source`, 'is required'), undefined) : bucket(`${at}.source`, rule.source);
      let sourceAccount: string | undefined;
      if (rule.sourceAccount !== undefined) {
        sourceAccount = account(`${at}.sourceAccount`, rule.sourceAccount);
        if (sourceAccount !== undefined && sourceAccount !== monitorAccount && !remoteAccounts.includes(sourceAccount)) {
          fail(`${at}.sourceAccount`, `${show(sourceAccount)} is not listed in remoteAccounts (nor is it the monitorAccount)`);
        }
      }
      const effectiveAccount = sourceAccount === monitorAccount ? undefined : sourceAccount;
      if (source !== undefined) {
        const earlier = sourceAccountOf.get(source);
        if (earlier && earlier.account !== effectiveAccount) {
          fail(`${at}.sourceAccount`, `source ${show(source)} is given another account in ${earlier.field}`);
        } else if (!earlier) {
          sourceAccountOf.set(source, { account: effectiveAccount, field: at });
        }
      }
      const destinations: string[] = [];
      if (!Array.isArray(rule.destinations) || rule.destinations.length === 0) {
        fail(`${at}.destinations`, `must be a non-empty list of bucket names, got ${show(rule.destinations)}`);
      } else {
        rule.destinations.forEach((d, j) => {
          const field = `${at}.destinations[${j}]`;
          const dest = bucket(field, d);
          if (dest === undefined) return;
          if (dest === source) {
            fail(field, `${show(dest)} is the rule's source; a bucket cannot replicate to itself`);
            return;
          }
          if (destinations.includes(dest)) {
            fail(field, `${show(dest)} is listed twice`);
            return;
          }
          if (source !== undefined) {
            const pair = `${source}\u0000${dest}`;
            const earlier = pairSeen.get(pair);
            if (earlier) {
              fail(field, `the pair ${show(source)} -> ${show(dest)} is already configured at ${earlier}`);
              return;
            }
            pairSeen.set(pair, field);
          }
          destinations.push(dest);
        });
      }
      if (source !== undefined && destinations.length > 0) {
        replication.push(effectiveAccount ? { source, destinations, sourceAccount: effectiveAccount } : { source, destinations });
      }
    });
  }
  // A destination bucket is written by the monitor account's side; it cannot also be a remote source.
  for (const rule of replication) {
    rule.destinations.forEach((dest) => {
      const asSource = sourceAccountOf.get(dest);
      if (asSource?.account) {
        fail(`${asSource.field}.source`, `${show(dest)} is a destination bucket, so it must be in the monitor account, but it has sourceAccount ${show(asSource.account)}`);
      }
    });
  }
  const bucketCount = monitoredBuckets({ replication }).length;
  if (bucketCount > CONFIG_LIMITS.maxMonitoredBuckets) {
    fail('replication', `names ${bucketCount} buckets; at most ${CONFIG_LIMITS.maxMonitoredBuckets} fit in one trail's event selectors`);
  }

  // archive
  let archiveToS3: boolean = CONFIG_DEFAULTS.archiveToS3;
  if (input.archiveToS3 !== undefined) {
    if (typeof input.archiveToS3 !== 'boolean') fail('archiveToS3', `must be true or false, got ${show(input.archiveToS3)}`);
    else archiveToS3 = input.archiveToS3;
  }
  let archiveBucket: string | undefined;
  if (input.archiveBucket !== undefined) archiveBucket = bucket('archiveBucket', input.archiveBucket);
  if (archiveToS3 && input.archiveBucket === undefined) {
    fail('archiveBucket', 'is required when archiveToS3 is true (the name of an existing bucket for the archive)');
  }
  if (archiveBucket !== undefined && monitoredBuckets({ replication }).includes(archiveBucket)) {
    fail('archiveBucket', `${show(archiveBucket)} is a monitored bucket; archive somewhere that is not replicated and monitored`);
  }

  // alarmEmail
  const alarmEmail = optionalString('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) fail('alarmEmail', `${show(alarmEmail)} is not an e-mail address`);

  // numbers
  const retentionHours = positiveInt('retentionHours', CONFIG_DEFAULTS.retentionHours, 1, CONFIG_LIMITS.maxRetentionHours);
  const overdueMinutes = positiveInt('overdueMinutes', CONFIG_DEFAULTS.overdueMinutes);
  const maxConcurrency = positiveInt('maxConcurrency', CONFIG_DEFAULTS.maxConcurrency, CONFIG_LIMITS.minConcurrency, CONFIG_LIMITS.maxConcurrency);
  if (overdueMinutes >= retentionHours * 60 && problems.every((p) => p.field !== 'overdueMinutes' && p.field !== 'retentionHours')) {
    fail('overdueMinutes', `${overdueMinutes} minutes is not shorter than retentionHours (${retentionHours} h): records would expire before they could be overdue`);
  }
  const logRetentionDays = positiveInt('logRetentionDays', CONFIG_DEFAULTS.logRetentionDays);
  if (input.logRetentionDays !== undefined && !(CONFIG_LIMITS.logRetentionDays as readonly number[]).includes(logRetentionDays)) {
    if (problems.every((p) => p.field !== 'logRetentionDays')) {
      fail('logRetentionDays', `${logRetentionDays} is not a CloudWatch Logs retention; use one of ${CONFIG_LIMITS.logRetentionDays.join(', ')}`);
    }
  }
  const trailLogExpirationDays = positiveInt('trailLogExpirationDays', CONFIG_DEFAULTS.trailLogExpirationDays);

  // existing trail
  const existingTrailArn = optionalString('existingTrailArn');
  if (existingTrailArn !== undefined && !TRAIL_ARN.test(existingTrailArn)) {
    fail('existingTrailArn', `${show(existingTrailArn)} is not a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)`);
  }

  if (problems.length > 0) return finish();

  const config: MonitorConfig = {
    monitorRegion,
    regions,
    replication,
    remoteAccounts,
    archiveToS3,
    retentionHours,
    overdueMinutes,
    maxConcurrency,
    logRetentionDays,
    trailLogExpirationDays,
  };
  if (monitorAccount !== undefined) config.monitorAccount = monitorAccount;
  if (archiveBucket !== undefined) config.archiveBucket = archiveBucket;
  if (alarmEmail !== undefined) config.alarmEmail = alarmEmail;
  if (existingTrailArn !== undefined) config.existingTrailArn = existingTrailArn;
  return config;
}

/** Every (source, destination) pair of the config, in file order, each once. */
export function replicationPairs(config: Pick<MonitorConfig, 'replication'>): { source: string; destination: string }[] {
  const seen = new Set<string>();
  const pairs: { source: string; destination: string }[] = [];
  for (const rule of config.replication) {
    for (const destination of rule.destinations) {
      const id = `${rule.source}\u0000${destination}`;
      if (seen.has(id)) continue;
      seen.add(id);
      pairs.push({ source: rule.source, destination });
    }
  }
  return pairs;
}

/** Sources ∪ destinations, sorted, each once. */
export function monitoredBuckets(config: Pick<MonitorConfig, 'replication'>): string[] {
  const all = new Set<string>();
  for (const rule of config.replication) {
    all.add(rule.source);
    for (const d of rule.destinations) all.add(d);
  }
  return [...all].sort();
}

/** Buckets in the monitor account: every destination and every source without a remote sourceAccount. */
export function localBuckets(config: Pick<MonitorConfig, 'replication'>): string[] {
  const all = new Set<string>();
  for (const rule of config.replication) {
    if (!rule.sourceAccount) all.add(rule.source);
    for (const d of rule.destinations) all.add(d);
  }
  return [...all].sort();
}

/** Source buckets owned by `account` (a remote account), sorted. */
export function remoteSourceBuckets(config: Pick<MonitorConfig, 'replication'>, account: string): string[] {
  return [...new Set(config.replication.filter((r) => r.sourceAccount === account).map((r) => r.source))].sort();
}

/** Remote accounts that own at least one configured source bucket, sorted. */
export function sourceAccounts(config: Pick<MonitorConfig, 'replication'>): string[] {
  return [...new Set(config.replication.flatMap((r) => (r.sourceAccount ? [r.sourceAccount] : [])))].sort();
}

/**
 * Parse the text of a config file: JSON, with `//` and `/* *\/` comments and trailing commas allowed
 * (so the commented example can be copied as it is). Throws ConfigError with the line and column.
 */
export function parseConfigText(text: string, origin?: string): unknown {
  const stripped = stripJsonComments(text);
  try {
    return JSON.parse(stripped);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const before = stripped.slice(0, Number(position[1]));
      const line = before.split('\n').length;
      const column = Number(position[1]) - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    throw new ConfigError('(file)', `${origin ? `${origin}: ` : ''}not valid JSON${where}: ${message}`);
  }
}

/** Blank out comments and trailing commas outside strings, keeping offsets (so positions stay right). */
function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === ',') {
      let j = i + 1;
      let k = j;
      // look past whitespace and comments for a closing bracket
      for (;;) {
        while (k < text.length && /\s/.test(text[k])) k++;
        if (text[k] === '/' && text[k + 1] === '/') {
          while (k < text.length && text[k] !== '\n') k++;
        } else if (text[k] === '/' && text[k + 1] === '*') {
          const end = text.indexOf('*/', k + 2);
          k = end < 0 ? text.length : end + 2;
        } else break;
      }
      out += text[k] === '}' || text[k] === ']' ? ' ' : ',';
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
