import { Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { localBuckets, type MonitorConfig } from '../../lambda/shared/config';
import { EventForwarder } from '../constructs/forwarder';
import { forwarderTopicName } from '../names';

export interface ForwarderStackProps extends StackProps {
  readonly config: MonitorConfig;
  /** The region this stack is deployed to (one of config.regions). */
  readonly region: string;
}

/**
 * `CrrForwarder-<region>`: the object-write events of the monitored buckets in this account, as EventBridge sees
 * them in this region, sent to the central queue through a regional SNS topic.
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
    this.forwarder = new EventForwarder(this, 'Forwarder', {
      buckets,
      replicationNotificationBuckets: localSources,
      monitorRegion: config.monitorRegion,
      topicName: forwarderTopicName(props.region),
    });
  }
}
