/**
 * The crr-monitor configuration file: its zod schema, its defaults (here and nowhere else) and the helpers that
 * derive buckets and pairs from it.
 *
 * Shared by the CDK app (lib/config-loader.ts), the CLI (`--config FILE`) and, through lib/, the handlers' config
 * (lambda/shared/contract.ts). Pure: no fs, no SDK. Every problem is collected and reported at once in one
 * ConfigError that names each field path (`replication[1].destinations[0]: ...`), so a bad file fails synth
 * before anything is built.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';

/** What a config file may leave out, and the value it then gets. */
export const CONFIG_DEFAULTS = {
  remoteAccounts: [] as string[],
  archiveToS3: false,
  retentionHours: 24,
  overdueMinutes: 15,
  maxConcurrency: 5,
  logRetentionDays: 30,
  trailLogExpirationDays: 90,
  intake: 'cloudtrail',
  /** The `reconcile` option's own defaults (issue 16): where in the buckets the inventories and the results live. */
  reconcile: {
    /** The inventory configurations' destination prefix (`<prefix><source bucket>/<config ID>/...`); '' = none. */
    inventoryPrefix: '',
    /** Athena query results, the reconcile reports and their Batch Operations manifests, in the inventory bucket. */
    outputPrefix: 'crr-monitor/reconcile/',
  },
} as const;

/**
 * How object writes reach the monitor (docs/deploying.md, "Intake modes"):
 * - `cloudtrail`: CloudTrail data events (write-only, the monitored buckets only) → EventBridge → forwarder topic;
 * - `notifications`: each bucket's own S3 event notifications (`s3:ObjectCreated:*`, and `s3:Replication:*` of
 *   sources) → its region's forwarder topic;
 * - `eventbridge`: each bucket's S3 EventBridge events (`Object Created`) → the forwarder rule → the topic.
 */
export const INTAKE_MODES = ['cloudtrail', 'notifications', 'eventbridge'] as const;
export type IntakeMode = (typeof INTAKE_MODES)[number];

/** Limits that keep the generated resources deployable. */
const CONFIG_LIMITS = {
  /** CloudTrail allows 500 values across all advanced event selector conditions of a trail; 10 are used by the fixed fields. */
  maxMonitoredBuckets: 490,
  /** SNS topic policies hold at most 30 KB; the statements other than the bucket ARNs take about 2 KB. */
  maxTopicPolicyBytes: 30 * 1024,
  topicPolicyOverheadBytes: 2048,
  /** Lambda SQS event source mapping: MaximumConcurrency is 2..1000. */
  minConcurrency: 2,
  maxConcurrency: 1000,
  /** DynamoDB TTL and the sweep's horizon: at most 90 days. */
  maxRetentionHours: 24 * 90,
  /** Valid values for CloudWatch Logs retention (days). */
  logRetentionDays: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653],
} as const;

/** Regions accepted in `monitorRegion` and `regions`: every region aws-cdk-lib's region-info knows. */
export const AWS_REGIONS: readonly string[] = RegionInfo.regions.map((r) => r.name);
const REGION_SET: ReadonlySet<string> = new Set(AWS_REGIONS);

function isRegion(value: unknown): value is string {
  return typeof value === 'string' && REGION_SET.has(value);
}

/** The partition of a region (`aws`, `aws-us-gov`, `aws-cn`, ...), from region-info. */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition ?? 'aws';
}

function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{12}$/.test(value);
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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRAIL_ARN = /^arn:aws(-us-gov|-cn)?:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/;

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

// ---- field schemas, each with today's message --------------------------------------------------------------

/** zod reports a missing key as a wrong type with no input: say it is required, with what is expected. */
const required = (what: string, otherwise: (input: unknown) => string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `is required${what}` : otherwise(iss.input);

const regionOf = (error: (iss: { input?: unknown }) => string) =>
  z.string({ error }).refine(isRegion, { error: (iss) => `${show(iss.input)} is not an AWS region (expected e.g. 'us-east-1')` });
const region = regionOf((iss) => `must be a region name string, got ${show(iss.input)}`);

const account = z.custom<string>(isAccountId, { error: (iss) => `${show(iss.input)} is not a 12-digit AWS account id` });

const bucketOf = (error: (iss: { input?: unknown }) => string) =>
  z.string({ error }).check((ctx) => {
    const problem = bucketNameProblem(ctx.value);
    if (problem)
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `${show(ctx.value)} is not a valid S3 bucket name (${problem})` });
  });
const bucket = bucketOf((iss) => `must be a bucket name string, got ${show(iss.input)}`);

/** An integer in [min, max], with the message naming the range and the value given. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const error = (iss: { input?: unknown }) => `must be ${range}, got ${show(iss.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const nonEmptyString = z.string({ error: (iss) => `must be a non-empty string, got ${show(iss.input)}` }).min(1, {
  error: (iss) => `must be a non-empty string, got ${show(iss.input)}`,
});

/** A list whose elements are checked one by one (each problem at its index), with a message for the list itself. */
function list<T extends z.ZodType>(element: T, what: string, nonEmpty: boolean, ifMissing?: string) {
  const wrong = (input: unknown) => `must be a ${nonEmpty ? 'non-empty ' : ''}list of ${what}, got ${show(input)}`;
  const error = ifMissing === undefined ? (iss: { input?: unknown }) => wrong(iss.input) : required(ifMissing, wrong);
  const array = z.array(element, { error });
  return nonEmpty ? array.min(1, { error }) : array;
}

const RULE_FIELDS = ['source', 'destinations', 'sourceAccount'] as const;
const RECONCILE_FIELDS = ['inventoryBucket', 'inventoryPrefix', 'outputPrefix'] as const;

/** A key prefix: '' or ending in '/', no leading '/' (S3 keys have none), printable. */
const keyPrefix = z
  .string({ error: (iss) => `must be a key prefix string, got ${show(iss.input)}` })
  .refine((v) => v === '' || (v.endsWith('/') && !v.startsWith('/') && ![...v].some((c) => c.charCodeAt(0) < 32)), {
    error: (iss) => `${show(iss.input)} is not a key prefix: use '' or a prefix ending in '/' (no leading '/')`,
  });

const reconcileSchema = z.strictObject(
  {
    inventoryBucket: bucketOf(
      required(' (the destination bucket of the inventory configurations)', (input) => `must be a bucket name string, got ${show(input)}`),
    ),
    inventoryPrefix: keyPrefix.default(CONFIG_DEFAULTS.reconcile.inventoryPrefix),
    outputPrefix: keyPrefix
      .refine((v) => v !== '', { error: 'must not be empty: the results need a prefix of their own' })
      .default(CONFIG_DEFAULTS.reconcile.outputPrefix),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? 'unknown field'
        : `must be an object { "inventoryBucket", "inventoryPrefix"?, "outputPrefix"? }, got ${show(iss.input)}`,
  },
);

const ruleSchema = z.strictObject(
  {
    source: bucketOf(required('', (input) => `must be a bucket name string, got ${show(input)}`)),
    destinations: list(bucket, 'bucket names', true),
    sourceAccount: account.optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? 'unknown field'
        : `must be an object { "source", "destinations", "sourceAccount"? }, got ${show(iss.input)}`,
  },
);

const fields = {
  monitorRegion: regionOf(
    required(' (the region of MonitorStack, e.g. "us-east-1")', (input) => `must be a region name string, got ${show(input)}`),
  ),
  regions: list(region, 'region names', true).optional(),
  monitorAccount: account.optional(),
  remoteAccounts: list(account, '12-digit account ids', false).default(CONFIG_DEFAULTS.remoteAccounts),
  replication: list(ruleSchema, 'rules', true, ': a list of { "source": bucket, "destinations": [bucket, ...] }'),
  archiveToS3: z.boolean({ error: (iss) => `must be true or false, got ${show(iss.input)}` }).default(CONFIG_DEFAULTS.archiveToS3),
  archiveBucket: bucket.optional(),
  alarmEmail: nonEmptyString.refine((v) => EMAIL.test(v), { error: (iss) => `${show(iss.input)} is not an e-mail address` }).optional(),
  retentionHours: integer(1, CONFIG_LIMITS.maxRetentionHours).default(CONFIG_DEFAULTS.retentionHours),
  overdueMinutes: integer(1).default(CONFIG_DEFAULTS.overdueMinutes),
  sloMinutes: integer(1).optional(),
  maxConcurrency: integer(CONFIG_LIMITS.minConcurrency, CONFIG_LIMITS.maxConcurrency).default(CONFIG_DEFAULTS.maxConcurrency),
  existingTrailArn: nonEmptyString
    .refine((v) => TRAIL_ARN.test(v), {
      error: (iss) => `${show(iss.input)} is not a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)`,
    })
    .optional(),
  logRetentionDays: integer(1)
    .refine((v) => (CONFIG_LIMITS.logRetentionDays as readonly number[]).includes(v), {
      error: (iss) => `${show(iss.input)} is not a CloudWatch Logs retention; use one of ${CONFIG_LIMITS.logRetentionDays.join(', ')}`,
    })
    .default(CONFIG_DEFAULTS.logRetentionDays),
  trailLogExpirationDays: integer(1).default(CONFIG_DEFAULTS.trailLogExpirationDays),
  intake: z
    .enum(INTAKE_MODES, { error: (iss) => `must be one of ${INTAKE_MODES.map((m) => `'${m}'`).join(', ')}, got ${show(iss.input)}` })
    .default(CONFIG_DEFAULTS.intake),
  reconcile: reconcileSchema.optional(),
};
const KNOWN_FIELDS = Object.keys(fields);

/** The whole file: strict (unknown fields are errors), `$schema` and `//` comment keys dropped first. */
const configSchema = z.preprocess(
  (raw) =>
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('$') && !key.startsWith('//')))
      : raw,
  z.strictObject(fields, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? 'unknown field'
        : `must be a JSON object, got ${Array.isArray(iss.input) ? 'an array' : show(iss.input)}`,
  }),
);

type Parsed = z.output<typeof configSchema>;

/** One replication rule: objects written to `source` are expected in every bucket of `destinations`. */
export interface ReplicationRule {
  source: string;
  destinations: string[];
  /** The 12-digit account that owns `source` when it is not the monitor account (cross-account). */
  sourceAccount?: string;
}

/**
 * The cloud reconcile (issue 16): when a configured bucket's S3 Inventory manifest arrives in `inventoryBucket`, the
 * stack reconciles every pair that bucket belongs to on Athena and publishes the counts as metrics.
 */
export interface ReconcileConfig {
  /** The bucket the inventory configurations of the monitored buckets deliver to (in the monitor account). */
  inventoryBucket: string;
  /** Their destination prefix: manifests are at `<inventoryPrefix><bucket>/<config ID>/<YYYY-MM-DDTHH-MMZ>/manifest.json`. */
  inventoryPrefix: string;
  /** Where in inventoryBucket the Athena results, reports and Batch Operations manifests go. */
  outputPrefix: string;
}

/** A validated config, defaults filled in. */
export interface MonitorConfig {
  /** The region of MonitorStack: queue, table, functions, alarms. */
  monitorRegion: string;
  /** The regions that hold monitored buckets: one CrrForwarder-<region> stack each (default: [monitorRegion]). */
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
  /** The recovery point objective of the reports' `slo` section; absent: `overdueMinutes` (see `sloMinutesOf`). */
  sloMinutes?: number;
  /** Maximum concurrent drain invocations (SQS event source mapping; at least 2). */
  maxConcurrency: number;
  /** Use this existing trail instead of creating one; it must log write data events of every monitored bucket. */
  existingTrailArn?: string;
  /** Retention of the functions' CloudWatch log groups, in days. */
  logRetentionDays: number;
  /** Days after which CloudTrail log files in the trail bucket expire. */
  trailLogExpirationDays: number;
  /** How object writes reach the monitor (see INTAKE_MODES). */
  intake: IntakeMode;
  /** Reconcile from S3 Inventory on Athena when a manifest arrives (off when absent). */
  reconcile?: ReconcileConfig;
}

// ---- errors ----------------------------------------------------------------------------------------------------

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
  constructor(
    readonly field: string,
    message: string,
    problems?: readonly ConfigProblem[],
  ) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems ?? [{ field, message }];
  }
}

/** `['replication', 0, 'source']` → `replication[0].source`; the empty path is the file itself. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(root)';
}

/** zod's issues → our problems: one per unknown key (with a did-you-mean), today's wording otherwise. */
function problemsOf(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      problems.push({ field: fieldPath(issue.path), message: issue.message });
      continue;
    }
    const known: readonly string[] =
      issue.path.length === 0 ? KNOWN_FIELDS : issue.path[0] === 'reconcile' ? RECONCILE_FIELDS : RULE_FIELDS;
    for (const key of issue.keys) {
      const close = known.find((k) => k.toLowerCase() === key.toLowerCase());
      problems.push({
        field: fieldPath([...issue.path, key]),
        message: `unknown field${close ? ` (did you mean '${close}'?)` : ''}; known fields: ${known.join(', ')}`,
      });
    }
  }
  return problems;
}

function configError(problems: readonly ConfigProblem[], origin?: string): ConfigError {
  const where = origin ? `${origin}: ` : '';
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  const message =
    lines.length === 1
      ? `${where}invalid configuration: ${lines[0]}`
      : `${where}invalid configuration (${lines.length} problems):\n  ${lines.join('\n  ')}`;
  return new ConfigError(problems[0].field, message, problems);
}

// ---- cross-field rules -----------------------------------------------------------------------------------------

/** The fields that are valid on their own (each parsed alone), so that cross-field rules can run beside field problems. */
function validFields(raw: unknown): Partial<Parsed> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const input = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(fields)) {
    const one = (schema as z.ZodType).safeParse(input[name]);
    if (one.success) out[name] = one.data;
  }
  // A list of rules with one bad rule still has good rules to check against each other.
  if (out.replication === undefined && Array.isArray(input.replication)) {
    out.replication = input.replication.flatMap((rule) => {
      const one = ruleSchema.safeParse(rule);
      return one.success ? [one.data] : [];
    });
  }
  return out as Partial<Parsed>;
}

/** The rules that relate fields to each other, over the fields that are valid on their own. */
function crossFieldProblems(config: Partial<Parsed>, already: readonly ConfigProblem[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, message: string) => problems.push({ field, message });
  const failed = (field: string) => already.some((p) => p.field === field);
  const { monitorAccount, monitorRegion } = config;
  const remoteAccounts = config.remoteAccounts ?? [];
  const replication = config.replication ?? [];

  if (monitorRegion !== undefined) {
    const partition = partitionOf(monitorRegion);
    const seenRegions = new Set<string>();
    (config.regions ?? []).forEach((r, i) => {
      if (seenRegions.has(r)) fail(`regions[${i}]`, `${show(r)} is listed twice`);
      else if (partitionOf(r) !== partition) {
        fail(`regions[${i}]`, `${show(r)} is in partition ${partitionOf(r)}, but monitorRegion ${show(monitorRegion)} is in ${partition}`);
      }
      seenRegions.add(r);
    });
  }

  const seenAccounts = new Set<string>();
  remoteAccounts.forEach((a, i) => {
    if (seenAccounts.has(a)) fail(`remoteAccounts[${i}]`, `${show(a)} is listed twice`);
    else if (a === monitorAccount) fail(`remoteAccounts[${i}]`, `${show(a)} is the monitorAccount; list only the other accounts`);
    seenAccounts.add(a);
  });
  if (remoteAccounts.length > 0 && monitorAccount === undefined && !failed('monitorAccount')) {
    fail('monitorAccount', 'is required when remoteAccounts is not empty (the agents forward events to, and trust roles of, this account)');
  }

  const pairSeen = new Map<string, string>();
  const sourceAccountOf = new Map<string, { account: string | undefined; field: string }>();
  replication.forEach((rule, i) => {
    const at = `replication[${i}]`;
    const source = rule.source;
    if (rule.sourceAccount !== undefined && rule.sourceAccount !== monitorAccount && !remoteAccounts.includes(rule.sourceAccount)) {
      fail(`${at}.sourceAccount`, `${show(rule.sourceAccount)} is not listed in remoteAccounts (nor is it the monitorAccount)`);
    }
    const effectiveAccount = rule.sourceAccount === monitorAccount ? undefined : rule.sourceAccount;
    const earlier = sourceAccountOf.get(source);
    if (earlier && earlier.account !== effectiveAccount)
      fail(`${at}.sourceAccount`, `source ${show(source)} is given another account in ${earlier.field}`);
    else if (!earlier) sourceAccountOf.set(source, { account: effectiveAccount, field: at });
    const destinations = new Set<string>();
    rule.destinations.forEach((dest, j) => {
      const field = `${at}.destinations[${j}]`;
      const pair = `${source}\u0000${dest}`;
      const first = pairSeen.get(pair);
      if (dest === source) fail(field, `${show(dest)} is the rule's source; a bucket cannot replicate to itself`);
      else if (destinations.has(dest)) fail(field, `${show(dest)} is listed twice`);
      else if (first) fail(field, `the pair ${show(source)} -> ${show(dest)} is already configured at ${first}`);
      else pairSeen.set(pair, field);
      destinations.add(dest);
    });
  });
  // A destination bucket is written by the monitor account's side; it cannot also be a remote source.
  for (const rule of replication) {
    for (const dest of rule.destinations) {
      const asSource = sourceAccountOf.get(dest);
      if (asSource?.account) {
        fail(
          `${asSource.field}.source`,
          `${show(dest)} is a destination bucket, so it must be in the monitor account, but it has sourceAccount ${show(asSource.account)}`,
        );
      }
    }
  }
  const buckets = monitoredBuckets({ replication: replication as ReplicationRule[] });
  if (buckets.length > CONFIG_LIMITS.maxMonitoredBuckets) {
    fail('replication', `names ${buckets.length} buckets; at most ${CONFIG_LIMITS.maxMonitoredBuckets} fit in one trail's event selectors`);
  }

  if (config.existingTrailArn !== undefined && config.intake !== undefined && config.intake !== 'cloudtrail') {
    fail(
      'existingTrailArn',
      `is for intake 'cloudtrail' only: with intake '${config.intake}' S3 itself sends each write (no trail is created or read), ` +
        `so remove existingTrailArn or set intake to 'cloudtrail'`,
    );
  }
  // The forwarder topic's policy names each bucket that may publish to it twice (its allow and the deny), and SNS
  // takes at most 30 KB of policy (SNS Developer Guide, "Policy quotas"); with intake notifications that is every bucket.
  const publishing =
    config.intake === 'notifications'
      ? buckets
      : [...new Set(replication.filter((r) => r.sourceAccount === undefined).map((r) => r.source))];
  const arnPrefix = `arn:${partitionOf(monitorRegion ?? 'us-east-1')}:s3:::`;
  const policyBytes = CONFIG_LIMITS.topicPolicyOverheadBytes + publishing.reduce((n, b) => n + 2 * (arnPrefix.length + b.length + 3), 0);
  if (policyBytes > CONFIG_LIMITS.maxTopicPolicyBytes) {
    fail(
      'replication',
      `names ${publishing.length} buckets that publish to the forwarder topics${config.intake === 'notifications' ? ' (intake notifications: all of them)' : ' (the sources)'}: ` +
        `their ARNs would make the topic policy about ${policyBytes} bytes, over SNS's ${CONFIG_LIMITS.maxTopicPolicyBytes}-byte limit` +
        (config.intake === 'notifications' ? "; use intake 'eventbridge' or split the buckets over two monitors" : ''),
    );
  }
  if (config.archiveToS3 && config.archiveBucket === undefined && !failed('archiveBucket')) {
    fail('archiveBucket', 'is required when archiveToS3 is true (the name of an existing bucket for the archive)');
  }
  if (config.archiveBucket !== undefined && buckets.includes(config.archiveBucket)) {
    fail('archiveBucket', `${show(config.archiveBucket)} is a monitored bucket; archive somewhere that is not replicated and monitored`);
  }
  const inventoryBucket = config.reconcile?.inventoryBucket;
  if (inventoryBucket !== undefined && buckets.includes(inventoryBucket)) {
    fail(
      'reconcile.inventoryBucket',
      `${show(inventoryBucket)} is a monitored bucket; inventories belong in a bucket that is not replicated and monitored`,
    );
  }
  const { overdueMinutes, retentionHours } = config;
  if (overdueMinutes !== undefined && retentionHours !== undefined && overdueMinutes >= retentionHours * 60 && !failed('retentionHours')) {
    fail(
      'overdueMinutes',
      `${overdueMinutes} minutes is not shorter than retentionHours (${retentionHours} h): records would expire before they could be overdue`,
    );
  }
  return problems;
}

// ---- entry points ----------------------------------------------------------------------------------------------

/**
 * Check a parsed config file and fill in defaults. Throws ConfigError naming every problem found
 * (`origin`, e.g. the file name, prefixes the message).
 */
export function validateConfig(raw: unknown, origin?: string): MonitorConfig {
  const result = configSchema.safeParse(raw);
  const fieldProblems = result.success ? [] : problemsOf(result.error.issues);
  const problems = [...fieldProblems, ...crossFieldProblems(result.success ? result.data : validFields(raw), fieldProblems)];
  if (problems.length > 0 || !result.success) throw configError(problems, origin);
  const parsed = result.data;
  const replication: ReplicationRule[] = parsed.replication.map((rule) => {
    // A sourceAccount equal to the monitor account is the local account: the rule is then not cross-account.
    const sourceAccount = rule.sourceAccount === parsed.monitorAccount ? undefined : rule.sourceAccount;
    return sourceAccount
      ? { source: rule.source, destinations: rule.destinations, sourceAccount }
      : { source: rule.source, destinations: rule.destinations };
  });
  const config: MonitorConfig = {
    monitorRegion: parsed.monitorRegion,
    regions: parsed.regions ?? [parsed.monitorRegion],
    replication,
    remoteAccounts: parsed.remoteAccounts,
    archiveToS3: parsed.archiveToS3,
    retentionHours: parsed.retentionHours,
    overdueMinutes: parsed.overdueMinutes,
    maxConcurrency: parsed.maxConcurrency,
    logRetentionDays: parsed.logRetentionDays,
    trailLogExpirationDays: parsed.trailLogExpirationDays,
    intake: parsed.intake,
  };
  if (parsed.monitorAccount !== undefined) config.monitorAccount = parsed.monitorAccount;
  if (parsed.archiveBucket !== undefined) config.archiveBucket = parsed.archiveBucket;
  if (parsed.alarmEmail !== undefined) config.alarmEmail = parsed.alarmEmail;
  if (parsed.existingTrailArn !== undefined) config.existingTrailArn = parsed.existingTrailArn;
  if (parsed.sloMinutes !== undefined) config.sloMinutes = parsed.sloMinutes;
  if (parsed.reconcile !== undefined) config.reconcile = { ...parsed.reconcile };
  return config;
}

/**
 * The recovery point objective in minutes: `sloMinutes` when given, else the overdue threshold (a version pending
 * past the objective is also one the monitor calls overdue, unless they are set apart). The one place of that default.
 */
export function sloMinutesOf(terms: { sloMinutes?: number; overdueMinutes: number }): number {
  return terms.sloMinutes ?? terms.overdueMinutes;
}

/**
 * Parse the text of a config file: JSONC (`//` and `/* *\/` comments, trailing commas), so the commented example can
 * be copied as it is. Throws ConfigError with the line and column of the first syntax error.
 */
export function parseConfigText(text: string, origin?: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length === 0) return value;
  const { error, offset } = errors[0];
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  throw new ConfigError(
    '(file)',
    `${origin ? `${origin}: ` : ''}not valid JSON at line ${line}, column ${column}: ${printParseErrorCode(error)}`,
  );
}

// ---- derived views ---------------------------------------------------------------------------------------------

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
