import { Duration } from 'aws-cdk-lib';

/**
 * Every tunable of the deployed resources in one place. Values that users choose live in the config file
 * (lambda/shared/config.ts, CONFIG_DEFAULTS); these are the engineering choices behind them, with their reasons.
 */
export const DEFAULTS = {
  drain: {
    /** The drain writes one UpdateItem per message; 100 messages fit well within the timeout. */
    batchSize: 100,
    /** Wait up to 5 s to fill a batch: fewer, fuller invocations; replication is measured in minutes anyway. */
    maxBatchingWindow: Duration.seconds(5),
    timeout: Duration.seconds(30),
    memorySize: 512,
  },
  sweep: {
    /** Every minute: a minute is the granularity of the published metrics. */
    schedule: 'rate(1 minute)',
    /** Shorter than the schedule so that two sweeps never overlap (reserved concurrency 1 as well). */
    timeout: Duration.seconds(55),
    memorySize: 512,
  },
  archive: {
    batchSize: 500,
    maxBatchingWindow: Duration.seconds(30),
    timeout: Duration.seconds(60),
    memorySize: 256,
    /** Firehose buffers up to 5 minutes or 64 MiB before writing one compressed object. */
    bufferingInterval: Duration.minutes(5),
    bufferingSizeMiB: 64,
    /** Key prefix inside archiveBucket; Hive-style date partitions below it. */
    prefix: 'crr-monitor/records/',
    errorPrefix: 'crr-monitor/errors/',
  },
  queue: {
    /**
     * A message that failed this many deliveries goes to the DLQ. The drain backs off failed messages by receive
     * count (60 s doubling to 15 min, lambda/drain/drain.ts), so 12 deliveries span about 2 h 15 min of outage.
     */
    maxReceiveCount: 12,
    /** SQS's 1 MiB, less the room a dead letter needs for its reason (lambda/adapters/dead-letters.ts). */
    maxMessageSizeBytes: 1_048_576 - 8_192,
    dlqMaxMessageSizeBytes: 1_048_576,
    retentionPeriod: Duration.days(4),
    dlqRetentionPeriod: Duration.days(14),
  },
  alarms: {
    /** Metrics are published per closed minute, late: 5-minute periods catch late datapoints. */
    period: Duration.minutes(5),
    /** Look back three periods (15 min) and fire on any one: a late datapoint still lands in an evaluated period. */
    evaluationPeriods: 3,
    datapointsToAlarm: 1,
  },
  reconcile: {
    /** Several Athena queries (a table per inventory, the counts, a manifest per pair) over inventories of any size. */
    timeout: Duration.minutes(15),
    /** Pages of Athena results and one 8 MiB part of a Batch Operations manifest at a time: little is held. */
    memorySize: 512,
    /** Lambda's asynchronous retries: a manifest that arrives before its Hive symlink is tried again. */
    retryAttempts: 2,
    /**
     * One datapoint per pair per reconcile (daily or weekly): an hourly period holds it, and missing data keeps the
     * alarm where the last reconcile put it (an inventory says nothing new between two snapshots).
     */
    alarmPeriod: Duration.hours(1),
    /** EventBridge patterns are limited in size: past this many buckets, one wildcard over the prefix (the handler filters). */
    maxKeyPatterns: 40,
  },
  /** Functions run on Graviton: cheaper per GB-second. */
  architecture: 'arm64',
} as const;
