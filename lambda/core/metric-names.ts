/**
 * The CloudWatch metrics crr-monitor publishes: one place for the names, units and dimensions, shared by the
 * sweep (which publishes them) and the CDK app (alarms, dashboard). Pure constants, no SDK.
 *
 * The sweep runs every minute and publishes, per bucket pair, what it found final in that run (completed,
 * failed, bytes, latency, speed) and the current overdue count, stamped with the minute that just closed;
 * pairs with nothing to report get zeros. Outcomes reach the sweep only after CloudTrail has delivered the
 * replica's event (typically 5 minutes or more after the write), so a datapoint describes replications that
 * finished several minutes before its timestamp; alarms use a 5-minute period over several periods for that.
 */

export const METRICS_NAMESPACE = 'CRRMonitor';

/** Dimension names; every metric carries both. */
export const DIMENSION_SOURCE_BUCKET = 'SourceBucket';
export const DIMENSION_DEST_BUCKET = 'DestBucket';

export const METRIC = {
  /** Object versions that finished replicating (COMPLETED) in the minute. Unit Count. */
  ReplicationObjects: 'ReplicationObjects',
  /**
   * Bytes replicated per second of replication latency: for each completed version, its size divided by its
   * latency (source write → replica write), published per version like ReplicationLatency. Unit Bytes/Second. It is the
   * effective throughput one object experienced, not the link's bandwidth; low values with large objects mean
   * slow replication. (The original CRR Monitor published the same quantity under this name.)
   */
  ReplicationSpeed: 'ReplicationSpeed',
  /** Object versions whose replication FAILED in the minute (S3 said FAILED, or a failure notification). Unit Count. */
  FailedReplications: 'FailedReplications',
  /**
   * Seconds from the source write to the replica write, one value per completed version. Publish it with
   * PutMetricData `Values`/`Counts` (not a StatisticSet) so that CloudWatch can compute p50/p90/p99. Unit Seconds.
   */
  ReplicationLatency: 'ReplicationLatency',
  /** Object versions still pending past the overdue threshold at the sweep. Unit Count. */
  OverdueReplications: 'OverdueReplications',
  /** Bytes of the versions counted in ReplicationObjects. Unit Bytes. */
  ReplicationBytes: 'ReplicationBytes',
  /** Source versions HeadObject showed no replication status for (no enabled rule covers them); SourceBucket only. Count. */
  UntrackedWrites: 'UntrackedWrites',
  /**
   * Completed object versions whose ACL, tags, retention or legal hold did not replicate (a metadata-class failure
   * notice, lambda/core/failures.ts): the replica is there, its metadata is not. Counted once per version. Unit Count.
   * (A metadata failure without a proven replica is a FailedReplications.)
   */
  MetadataReplicationFailures: 'MetadataReplicationFailures',
  /** Delete markers S3 could not replicate (DstDelObjNotPermitted). Unit Count. */
  DeleteMarkerReplicationFailures: 'DeleteMarkerReplicationFailures',
  /** Source versions deleted before they replicated (SrcVersionNotFound, SrcKeyNotFound, SrcObjectNotFound): no alarm. Count. */
  SourceVersionsDeleted: 'SourceVersionsDeleted',
  // ---- from the reconcile of S3 Inventory (issue 16): one datapoint per pair each time a pair is reconciled,
  // stamped when the reconcile ran; each counts versions of the whole snapshot, not of a minute ----
  /** Source versions the destination's inventory lacks: failed + overdue + completedButMissing. Unit Count. */
  MissingReplicas: 'MissingReplicas',
  /** Source versions present in the destination with another size. Unit Count. */
  ReplicaSizeMismatches: 'ReplicaSizeMismatches',
  /** Destination versions whose source version is gone (status REPLICA, in no configured source). Unit Count. */
  OrphanReplicaVersions: 'OrphanReplicaVersions',
  /** Source versions with no replication status: no enabled rule covered them (notReplicated). Unit Count. */
  UnreplicatedVersions: 'UnreplicatedVersions',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** CloudWatch unit of each metric (the StandardUnit strings of PutMetricData). */
export const METRIC_UNIT: Record<MetricName, 'Count' | 'Bytes' | 'Seconds' | 'Bytes/Second'> = {
  ReplicationObjects: 'Count',
  ReplicationSpeed: 'Bytes/Second',
  FailedReplications: 'Count',
  ReplicationLatency: 'Seconds',
  OverdueReplications: 'Count',
  ReplicationBytes: 'Bytes',
  UntrackedWrites: 'Count',
  MetadataReplicationFailures: 'Count',
  DeleteMarkerReplicationFailures: 'Count',
  SourceVersionsDeleted: 'Count',
  MissingReplicas: 'Count',
  ReplicaSizeMismatches: 'Count',
  OrphanReplicaVersions: 'Count',
  UnreplicatedVersions: 'Count',
};
