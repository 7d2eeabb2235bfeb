import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { localBuckets, remoteSourceBuckets, sourceAccounts, type MonitorConfig } from '../../lambda/shared/config';
import { EventForwarder } from '../constructs/forwarder';
import { forwarderTopicName } from '../names';

export interface ForwarderStackProps extends StackProps {
  readonly config: MonitorConfig;
  /** The region this stack is deployed to (one of config.regions). */
  readonly region: string;
}

/**
 * `CrrForwarder-<region>`: the object-write events of the monitored buckets, as this region sees them (CloudTrail's or
 * S3's EventBridge events of this account's buckets, or the buckets' own S3 notifications), sent to the central queue
 * through a regional SNS topic.
 */
export class ForwarderStack extends Stack {
  readonly forwarder: EventForwarder;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, {
      description: `crr-monitor: forwards S3 object-write events in ${props.region} to CRRMonitorQueue in ${props.config.monitorRegion}`,
      ...props,
    });
    const { config } = props;
    // The rule matches by bucket name and by this account; buckets of other regions simply never match here.
    const buckets = localBuckets(config);
    const localSources = [...new Set(config.replication.filter((r) => !r.sourceAccount).map((r) => r.source))].sort();
    // With intake notifications every configured bucket notifies its region's topic (which region is the bucket's
    // is not in the config, so every regional topic admits all of them); otherwise the sources' s3:Replication:*.
    const notifyingBuckets =
      config.intake === 'notifications'
        ? [
            { account: Aws.ACCOUNT_ID, buckets },
            ...sourceAccounts(config).map((account) => ({ account, buckets: remoteSourceBuckets(config, account) })),
          ]
        : [{ account: Aws.ACCOUNT_ID, buckets: localSources }];
    this.forwarder = new EventForwarder(this, 'Forwarder', {
      intake: config.intake,
      buckets,
      notifyingBuckets,
      monitorRegion: config.monitorRegion,
      topicName: forwarderTopicName(props.region),
    });
  }
}
