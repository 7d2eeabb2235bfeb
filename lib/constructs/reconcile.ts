import { Aws, Stack, Token, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import type { ReconcileConfig } from '../../lambda/shared/config';
import { ENV, RECONCILE_OUTPUT, type ReconcileSettings } from '../../lambda/shared/contract';
import { DEFAULTS } from '../defaults';
import { HandlerFunction } from './handler-function';
import { METRIC, pairMetric, type Pair } from './monitor-metrics';

export interface ReconcileProps {
  readonly reconcile: ReconcileConfig;
  readonly pairs: readonly Pair[];
  /** CONFIG_JSON (pairs, overdueMinutes), as the other handlers get it. */
  readonly handlerConfigJson: string;
  readonly topic: sns.ITopic;
  readonly logRetentionDays: number;
}

/**
 * The cloud reconcile (issue 16): S3 Inventory manifests arriving in the inventory bucket → the reconcile handler →
 * Athena (a workgroup and a Glue database of its own) → per-pair metrics, two alarms per pair, a report and Batch
 * Operations manifests under `<outputPrefix>runs/`.
 *
 * Trigger: S3's EventBridge events of the inventory bucket (`Object Created`, key `<prefix><bucket>/*\/manifest.json`
 * for each configured bucket), not an S3 event notification: turning EventBridge on for a bucket is one switch that
 * leaves its notification configuration alone, whereas a CDK-managed notification on an existing bucket is a custom
 * resource that rewrites it. Only AWS emits `source: aws.s3`; the handler checks source, detail-type and bucket again,
 * and only this rule may invoke the function (the Lambda permission names the rule's ARN).
 *
 * The workgroup enforces its result location (`<outputPrefix>athena/`, SSE-S3) and publishes Athena's query metrics.
 * The role can start queries in that workgroup only, create and read tables in that database only, read the
 * configured buckets' reports and write under the output prefix only (what Athena does with the caller's credentials
 * is listed beside each grant; test/lib/permissions.test.ts holds the two together).
 */
export class Reconcile extends Construct {
  readonly handler: HandlerFunction;
  readonly workgroup: athena.CfnWorkGroup;
  readonly database: glue.CfnDatabase;
  readonly rule: events.Rule;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly settings: ReconcileSettings;

  constructor(scope: Construct, id: string, props: ReconcileProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { inventoryBucket, inventoryPrefix, outputPrefix } = props.reconcile;
    const buckets = [...new Set(props.pairs.flatMap((p) => [p.source, p.destination]))].sort();
    const databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9]/g, '_')}_reconcile`;
    const workgroupName = `${stack.stackName}-reconcile`;
    const s3Arn = (resource: string) => `arn:${Aws.PARTITION}:s3:::${resource}`;
    const athenaOutput = `${outputPrefix}${RECONCILE_OUTPUT.athena}`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'crr-monitor: one table per S3 Inventory report reconciled (issue 16)' },
    });
    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workgroupName,
      description: 'crr-monitor: reconcile S3 Inventory reports of the monitored buckets',
      recursiveDeleteOption: true,
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${inventoryBucket}/${athenaOutput}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.settings = { inventoryBucket, inventoryPrefix, outputPrefix, workgroup: workgroupName, database: databaseName };
    this.handler = new HandlerFunction(this, 'Handler', {
      entry: 'lambda/reconcile/index.ts',
      description: 'crr-monitor: reconciles S3 Inventory reports on Athena when a manifest arrives',
      timeout: DEFAULTS.reconcile.timeout,
      memorySize: DEFAULTS.reconcile.memorySize,
      environment: {
        [ENV.config]: props.handlerConfigJson,
        [ENV.reconcile]: JSON.stringify(this.settings),
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
      },
      logRetentionDays: props.logRetentionDays,
      retryAttempts: DEFAULTS.reconcile.retryAttempts,
    });
    const role = this.handler.role;
    const workgroupArn = `arn:${Aws.PARTITION}:athena:${stack.region}:${stack.account}:workgroup/${workgroupName}`;
    const glueArn = (resource: string) => `arn:${Aws.PARTITION}:glue:${stack.region}:${stack.account}:${resource}`;
    const grant = (sid: string, actionList: string[], resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: actionList, resources }));
    grant(
      'QueriesInTheReconcileWorkGroup',
      ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
      [workgroupArn],
    );
    // Athena calls Glue with the caller's credentials: CREATE EXTERNAL TABLE IF NOT EXISTS (GetDatabase, GetTable,
    // CreateTable) and the queries (GetDatabase, GetTable; partition projection needs no GetPartitions).
    grant(
      'InventoryTablesInTheReconcileDatabase',
      ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable'],
      [glueArn('catalog'), glueArn(`database/${databaseName}`), glueArn(`table/${databaseName}/*`)],
    );
    // Manifests (the handler) and data files (Athena) of the configured buckets' reports only.
    grant(
      'ReadInventoryReports',
      ['s3:GetObject'],
      buckets.map((b) => s3Arn(`${inventoryBucket}/${inventoryPrefix}${b}/*`)),
    );
    // Athena's results (written by Athena, read back by GetQueryResults) and the handler's reports and manifests.
    grant(
      'WriteResultsUnderTheOutputPrefix',
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [s3Arn(`${inventoryBucket}/${outputPrefix}*`)],
    );
    // ListObjectsV2 (folders, the symlink) by the handler; Athena lists the symlink folders and its result location.
    grant('ListTheInventoryBucket', ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'], [s3Arn(inventoryBucket)]);

    const findings = [
      ...buckets.map((b) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${inventoryBucket}/${inventoryPrefix}${b}/*]`),
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${inventoryBucket}/${outputPrefix}*]`,
    ];
    for (const finding of findings) {
      Validations.of(role).acknowledge({
        id: finding,
        reason:
          'S3 Inventory writes each report under its own dated and hashed keys: the wildcard is one prefix of the inventory bucket, never the bucket.',
      });
    }
    const known = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:${known(stack.region, 'AWS::Region')}:${known(stack.account, 'AWS::AccountId')}:table/${databaseName}/*]`,
      reason:
        'The handler creates one table per inventory report (its name carries a hash of the report schema): any table of the reconcile database, no other database.',
    });

    // Per configured bucket when the pattern stays small; past that one wildcard over the prefix (the handler filters).
    const escape = (text: string) => text.replace(/[\\*]/g, (c) => `\\${c}`);
    const keys =
      buckets.length <= DEFAULTS.reconcile.maxKeyPatterns
        ? buckets.flatMap((b) => events.Match.wildcard(`${escape(inventoryPrefix)}${escape(b)}/*/manifest.json`))
        : events.Match.wildcard(`${escape(inventoryPrefix)}*/manifest.json`);
    this.rule = new events.Rule(this, 'ManifestArrived', {
      description: `crr-monitor: an S3 Inventory manifest of a monitored bucket arrived in ${inventoryBucket}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [inventoryBucket] }, object: { key: keys } },
      },
    });
    this.rule.addTarget(new targets.LambdaFunction(this.handler.fn, { retryAttempts: 2 }));

    const action = new actions.SnsAction(props.topic);
    const period = DEFAULTS.reconcile.alarmPeriod;
    for (const pair of props.pairs) {
      const label = `${pair.source} -> ${pair.destination}`;
      const id = `${pair.source}-to-${pair.destination}`;
      const add = (alarmId: string, metric: cloudwatch.IMetric, alarmDescription: string) => {
        const alarm = new cloudwatch.Alarm(this, alarmId, {
          metric,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          alarmDescription,
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms.push(alarm);
      };
      add(
        `MissingReplicas-${id}`,
        pairMetric(pair, METRIC.MissingReplicas, 'Maximum', period),
        `The last S3 Inventory reconcile found source versions missing in the destination (failed, overdue or completed but gone), ${label} (crr-monitor)`,
      );
      add(
        `SizeMismatches-${id}`,
        pairMetric(pair, METRIC.ReplicaSizeMismatches, 'Maximum', period),
        `The last S3 Inventory reconcile found replicas whose size differs from their source version, ${label} (crr-monitor)`,
      );
    }
  }
}
