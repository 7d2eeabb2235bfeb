import { replicationNotification, writeEvent, type WriteShape } from './events';

/**
 * A synthetic replication workload: realistic object-write events for source writes and their replicas — CloudTrail
 * data events as EventBridge delivers them, or (`shape`) S3 event notifications or S3's EventBridge events —, S3 replication failure notifications, with multipart and
 * copy writes, odd keys, duplicates and out-of-order delivery. Deterministic for a given seed, and it
 * knows its own ground truth, so tests can check the monitor against it.
 */
export interface WorkloadRule {
  readonly source: string;
  readonly destinations: readonly string[];
}

export interface WorkloadOptions {
  readonly objects: number;
  readonly rules: readonly WorkloadRule[];
  /** Share of (object, destination) replications that fail with a failure notification. */
  readonly failRate?: number;
  /** Share that is still unreplicated at the end (the replica never arrives): pending, then overdue. */
  readonly delayRate?: number;
  readonly multipartRate?: number;
  readonly copyRate?: number;
  /** Share of events delivered twice. */
  readonly duplicateRate?: number;
  /** Events are delivered shuffled within windows of this many events. */
  readonly shuffleWindow?: number;
  readonly seed?: number;
  /** Time of the first source write. */
  readonly start?: number;
  /** Mean gap between source writes, ms. */
  readonly spacingMillis?: number;
  /**
   * Share of source writes that no enabled rule covers (e.g. outside a rule's prefix): no replica, no notification,
   * and HeadObject shows no replication status. Default 0 (then no random draw is made: other workloads are unchanged).
   */
  readonly untrackedRate?: number;
  /** Receives every source version with its fate per destination: what a simulated S3 answers HeadObject from. */
  readonly onObject?: (object: WorkloadObject) => void;
  /**
   * The shape of the object writes (config `intake`): CloudTrail's (default), S3 event notifications or S3's
   * EventBridge events. In the last two every write carries its size (CloudTrail: PutObject's only), and times are
   * whole seconds as CloudTrail's are, so that one workload gives the same report in every shape when it has no
   * copies (`copyRate: 0`; a copy's size is in S3's events but not in CloudTrail's). Replication failure notices are
   * S3 notifications in every shape. The random draws are the same in every shape.
   */
  readonly shape?: WriteShape;
}

/** One source version and where its replicas went (the ground truth a simulated S3 answers from). */
export interface WorkloadObject {
  readonly source: string;
  readonly key: string;
  readonly versionId: string;
  /** No rule covers it: no replication status on the source, no replica anywhere. */
  readonly untracked: boolean;
  readonly replicated: readonly string[];
  readonly failed: readonly string[];
  /** The replica never arrives (still pending). */
  readonly unreplicated: readonly string[];
}

export interface ExpectedPair {
  source: string;
  destination: string;
  completed: number;
  failed: number;
  /** Not replicated: pending or overdue depending on the evaluation time. */
  unreplicated: number;
  bytes: number;
}

const FAILURE_REASONS = ['DstPutObjectNotPermitted', 'DstKmsKeyNotFound', 'SrcGetObjectNotPermitted', 'DstBucketNotFound'] as const;

const ODD_KEYS = [
  'reports/Q3 summary.pdf',
  'a+b=c/plus+sign.txt',
  'unicode/über ünïcødé 写真.jpg',
  '100% done/file%20name.bin',
  'deep/nested/path/with spaces/x.csv',
];

/** Mulberry32: a small seeded PRNG, so a workload (and the faults `--chaos` places) can be reproduced exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERSION_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

function versionId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 32; i++) id += VERSION_CHARS[Math.floor(random() * VERSION_CHARS.length)];
  return id;
}

const REGIONS = ['us-east-1', 'eu-west-2', 'ap-southeast-2', 'us-west-2'];

/**
 * Generates the workload. `emit` receives each delivered event (duplicates included, shuffled within
 * windows); the return value is the ground truth per pair.
 */
export function generateWorkload(options: WorkloadOptions, emit: (event: Record<string, unknown>) => void): ExpectedPair[] {
  const random = seededRandom(options.seed ?? 1);
  const failRate = options.failRate ?? 0.02;
  const delayRate = options.delayRate ?? 0.02;
  const multipartRate = options.multipartRate ?? 0.1;
  const copyRate = options.copyRate ?? 0.05;
  const duplicateRate = options.duplicateRate ?? 0.05;
  const window = Math.max(1, options.shuffleWindow ?? 64);
  const spacing = options.spacingMillis ?? 50;
  const untrackedRate = options.untrackedRate ?? 0;
  let at = options.start ?? Date.parse('2026-11-20T10:00:00Z');
  const shape = options.shape ?? 'cloudtrail';
  // CloudTrail's times have one-second resolution: the other shapes are given the same times (see `shape`).
  const when = (millis: number) => (shape === 'cloudtrail' ? millis : Math.floor(millis / 1000) * 1000);
  const sized = (operation: string, bytes: number) => (shape === 'cloudtrail' && operation !== 'PutObject' ? 0 : bytes);
  const account = '111122223333';
  const regionOf = new Map<string, string>();
  const bucketRegion = (bucket: string) => {
    if (!regionOf.has(bucket)) regionOf.set(bucket, REGIONS[regionOf.size % REGIONS.length]);
    return regionOf.get(bucket)!;
  };
  const expected = new Map<string, ExpectedPair>();
  for (const rule of options.rules) {
    for (const destination of rule.destinations) {
      expected.set(`${rule.source}>${destination}`, {
        source: rule.source,
        destination,
        completed: 0,
        failed: 0,
        unreplicated: 0,
        bytes: 0,
      });
    }
  }
  let buffer: Record<string, unknown>[] = [];
  let sequence = 0;
  const flush = () => {
    for (let i = buffer.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [buffer[i], buffer[j]] = [buffer[j], buffer[i]];
    }
    buffer.forEach(emit);
    buffer = [];
  };
  const deliver = (event: Record<string, unknown>) => {
    buffer.push(event);
    if (random() < duplicateRate) buffer.push(event);
    if (buffer.length >= window) flush();
  };
  const eventId = () => {
    sequence++;
    const hex = sequence.toString(16).padStart(12, '0');
    return `0b1c2d3e-4f5a-6b7c-8d9e-${hex}`;
  };
  for (let n = 0; n < options.objects; n++) {
    const rule = options.rules[n % options.rules.length];
    at += Math.floor(random() * 2 * spacing);
    const roll = random();
    const operation = roll < multipartRate ? 'CompleteMultipartUpload' : roll < multipartRate + copyRate ? 'CopyObject' : 'PutObject';
    const key =
      random() < 0.1
        ? `${ODD_KEYS[n % ODD_KEYS.length].replace('.', `-${n}.`)}`
        : `data/${(n % 97).toString().padStart(2, '0')}/object-${n}.json`;
    const bytes = operation === 'CompleteMultipartUpload' ? 0 : 1 + Math.floor(random() * 1_000_000);
    const version = versionId(random);
    const sourceRegion = bucketRegion(rule.source);
    deliver(
      writeEvent(shape, {
        bucket: rule.source,
        region: sourceRegion,
        key,
        versionId: version,
        at: when(at),
        operation,
        bytes: sized(operation, bytes),
        byReplication: false,
        account,
        eventId: eventId(),
      }),
    );
    const untracked = untrackedRate > 0 && random() < untrackedRate;
    const fates = { replicated: [] as string[], failed: [] as string[], unreplicated: [] as string[] };
    const object = { source: rule.source, key, versionId: version, untracked, ...fates };
    if (untracked) {
      options.onObject?.(object);
      continue;
    }
    for (const destination of rule.destinations) {
      const truth = expected.get(`${rule.source}>${destination}`)!;
      const fate = random();
      if (fate < failRate) {
        fates.failed.push(destination);
        truth.failed++;
        const reason = FAILURE_REASONS[Math.floor(random() * FAILURE_REASONS.length)];
        deliver(
          replicationNotification({
            source: rule.source,
            destination,
            key,
            versionId: version,
            requestedAt: at,
            at: at + 30_000,
            bytes,
            reason,
            region: sourceRegion,
          }),
        );
      } else if (fate < failRate + delayRate) {
        fates.unreplicated.push(destination);
        truth.unreplicated++;
      } else {
        fates.replicated.push(destination);
        truth.completed++;
        // CloudTrail: only PutObject events carry a size; multipart replicas are written as multipart too. S3's events
        // carry every write's size (a multipart object's is 0 here: the workload draws none for it).
        truth.bytes += sized(operation, bytes);
        const latency = 1_000 * (1 + Math.floor(random() * 120));
        const replicaOperation = operation === 'CompleteMultipartUpload' ? 'CompleteMultipartUpload' : 'PutObject';
        const replicaBytes = sized(operation, bytes);
        deliver(
          writeEvent(shape, {
            bucket: destination,
            region: bucketRegion(destination),
            key,
            versionId: version,
            at: when(at) + latency,
            operation: replicaOperation,
            bytes: replicaBytes,
            byReplication: true,
            account,
            eventId: eventId(),
          }),
        );
      }
    }
    options.onObject?.(object);
  }
  flush();
  return [...expected.values()];
}

/** The demo's replication configuration: several pairs, one of them multi-destination. */
export const DEMO_RULES: WorkloadRule[] = [
  { source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] },
  { source: 'logs-use1', destinations: ['logs-usw2'] },
  { source: 'backups-euw2', destinations: ['backups-use1'] },
];

/**
 * The demo's generated messages for `pairs` (the demo's rules when none are given), spread over 30 minutes
 * ending 5 minutes before `now`, so that delayed replications are overdue at the end.
 */
export function demoWorkload(
  pairs: readonly { source: string; destination: string }[],
  options: {
    objects: number;
    failRate: number;
    delayRate: number;
    seed: number;
    now: number;
    untrackedRate?: number;
    shape?: WriteShape;
    copyRate?: number;
  },
): { pairs: { source: string; destination: string }[]; rules: WorkloadRule[]; messages: string[]; objects: WorkloadObject[] } {
  const chosen = pairs.length
    ? [...pairs]
    : DEMO_RULES.flatMap((r) => r.destinations.map((destination) => ({ source: r.source, destination })));
  const rules = chosen.reduce<WorkloadRule[]>((acc, p) => {
    const rule = acc.find((r) => r.source === p.source);
    if (rule) (rule.destinations as string[]).push(p.destination);
    else acc.push({ source: p.source, destinations: [p.destination] });
    return acc;
  }, []);
  const span = 30 * 60_000;
  const messages: string[] = [];
  const objects: WorkloadObject[] = [];
  generateWorkload(
    { ...options, rules, start: options.now - span - 5 * 60_000, spacingMillis: span / options.objects, onObject: (o) => objects.push(o) },
    (event) => messages.push(JSON.stringify(event)),
  );
  return { pairs: chosen, rules, messages, objects };
}
