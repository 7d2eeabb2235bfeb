/**
 * Every call the code makes is granted, and nothing else (issue 7, item 4).
 *
 * For each handler, test/support/sdk-calls.ts finds the SDK commands its bundled code can send; ACTIONS maps each to
 * the IAM actions it needs; SERVICE_ACTIONS lists what the Lambda service itself needs on the function's behalf
 * (event source mappings, logs), each with its reason. The union must equal the actions the function's role is
 * granted in the synthesized MonitorStack: a missing grant is a 403 in AWS that no SDK mock can show, an extra one
 * is privilege nobody uses. The agent's read role must grant exactly what the drain and sweep send through it, and
 * the Firehose role exactly what AWS documents for an S3 destination.
 */
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import type { AgentStack } from '../../lib/stacks/agent-stack';
import type { MonitorStack } from '../../lib/stacks/monitor-stack';
import { analyzeHandler, analyzeHandlers, type HandlerAnalysis, type SdkCall } from '../support/sdk-calls';
import { actionsOf, build, fullConfig, ROOT, statementsOfRole } from './helpers';

/** SDK command → the IAM actions it needs. One table for every handler; add a row when the code sends a new command. */
const ACTIONS: Record<string, Record<string, readonly string[]>> = {
  '@aws-sdk/client-s3': {
    // With VersionId: s3:GetObjectVersion; without: s3:GetObject. s3:ListBucket makes a missing key a 404, not a 403
    // (the adapters tell "gone" from "forbidden" by it).
    HeadObjectCommand: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
    // No handler reads by version ID (the reconcile reads inventory manifests, never overwritten): s3:GetObject only.
    GetObjectCommand: ['s3:GetObject'],
    PutObjectCommand: ['s3:PutObject'],
    CreateMultipartUploadCommand: ['s3:PutObject'],
    UploadPartCommand: ['s3:PutObject'],
    CompleteMultipartUploadCommand: ['s3:PutObject'],
    AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
    ListObjectVersionsCommand: ['s3:ListBucketVersions'],
    ListObjectsV2Command: ['s3:ListBucket'],
  },
  '@aws-sdk/client-athena': {
    StartQueryExecutionCommand: ['athena:StartQueryExecution'],
    GetQueryExecutionCommand: ['athena:GetQueryExecution'],
    // GetQueryResults reads the result file from the output location with the caller's credentials.
    GetQueryResultsCommand: ['athena:GetQueryResults', 's3:GetObject'],
    StopQueryExecutionCommand: ['athena:StopQueryExecution'],
  },
  '@aws-sdk/client-dynamodb': {
    UpdateItemCommand: ['dynamodb:UpdateItem'],
    PutItemCommand: ['dynamodb:PutItem'],
    GetItemCommand: ['dynamodb:GetItem'],
    DeleteItemCommand: ['dynamodb:DeleteItem'],
    QueryCommand: ['dynamodb:Query'],
    ScanCommand: ['dynamodb:Scan'],
    BatchGetItemCommand: ['dynamodb:BatchGetItem'],
    BatchWriteItemCommand: ['dynamodb:BatchWriteItem'],
    TransactWriteItemsCommand: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
    DescribeTableCommand: ['dynamodb:DescribeTable'],
  },
  '@aws-sdk/lib-dynamodb': {
    UpdateCommand: ['dynamodb:UpdateItem'],
    PutCommand: ['dynamodb:PutItem'],
    GetCommand: ['dynamodb:GetItem'],
    DeleteCommand: ['dynamodb:DeleteItem'],
    QueryCommand: ['dynamodb:Query'],
    ScanCommand: ['dynamodb:Scan'],
    BatchGetCommand: ['dynamodb:BatchGetItem'],
    BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  },
  '@aws-sdk/client-sqs': {
    SendMessageCommand: ['sqs:SendMessage'],
    SendMessageBatchCommand: ['sqs:SendMessage'],
    ChangeMessageVisibilityCommand: ['sqs:ChangeMessageVisibility'],
    ChangeMessageVisibilityBatchCommand: ['sqs:ChangeMessageVisibility'],
    DeleteMessageCommand: ['sqs:DeleteMessage'],
    ReceiveMessageCommand: ['sqs:ReceiveMessage'],
  },
  '@aws-sdk/client-firehose': {
    PutRecordBatchCommand: ['firehose:PutRecordBatch'],
    PutRecordCommand: ['firehose:PutRecord'],
  },
  '@aws-sdk/client-sts': { AssumeRoleCommand: ['sts:AssumeRole'] },
  '@aws-sdk/client-cloudwatch': { PutMetricDataCommand: ['cloudwatch:PutMetricData'] },
  '@aws-sdk/client-sns': { PublishCommand: ['sns:Publish'] },
};

/** What the Lambda service does with the function's role, not the function's code. */
const SERVICE_ACTIONS: Record<string, Record<string, string>> = {
  all: {
    'logs:CreateLogStream': "Lambda creates the function's log stream in its own log group (the role has no managed policy)",
    'logs:PutLogEvents': "Lambda writes the function's output to that log group",
  },
  drain: {
    'sqs:ReceiveMessage': 'the SQS event source mapping polls CRRMonitorQueue with the function role',
    'sqs:DeleteMessage': 'the mapping deletes the messages of a batch that did not fail',
    'sqs:GetQueueAttributes': 'the mapping reads the queue attributes when it is created and while it polls',
  },
  sweep: {},
  archive: {
    'dynamodb:DescribeStream': 'the DynamoDB Streams event source mapping reads the shards of the table stream',
    'dynamodb:GetRecords': 'the mapping reads stream records',
    'dynamodb:GetShardIterator': 'the mapping positions itself in each shard',
    'dynamodb:ListStreams': 'the mapping lists the table streams (no resource-level permission exists)',
    'sqs:SendMessage': "the mapping's on-failure destination is the DLQ: Lambda sends a failed batch's description there",
  },
  // Athena runs the queries with the caller's credentials (Athena User Guide, "Access to Amazon S3" and "Access to the
  // AWS Glue Data Catalog"): the role needs what Athena does on its behalf.
  reconcile: {
    'glue:GetDatabase': "Athena resolves the query's database in the Glue Data Catalog",
    'glue:GetTable': 'Athena reads each inventory table (DDL IF NOT EXISTS and every query)',
    'glue:CreateTable': 'CREATE EXTERNAL TABLE of an inventory report, run through StartQueryExecution',
    's3:GetBucketLocation': 'Athena locates the inventory bucket (data and result location)',
    's3:ListBucketMultipartUploads': 'Athena manages its multipart uploads of query results',
    's3:AbortMultipartUpload': 'Athena aborts a result upload of a failed query',
    's3:ListMultipartUploadParts': 'Athena writes large results as multipart uploads',
  },
};

const ENTRIES = {
  drain: 'lambda/drain/index.ts',
  sweep: 'lambda/sweep/index.ts',
  archive: 'lambda/archive/index.ts',
  reconcile: 'lambda/reconcile/index.ts',
} as const;
type Handler = keyof typeof ENTRIES;

/** The IAM actions a set of calls needs; unknown commands are collected, not guessed. */
function neededActions(calls: readonly SdkCall[]): { actions: Map<string, string[]>; unknown: string[] } {
  const actions = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const call of calls) {
    const mapped = ACTIONS[call.pkg]?.[call.command];
    if (!mapped) {
      unknown.push(
        `${call.command} (${call.pkg}) at ${call.at}: add it to ACTIONS in test/lib/permissions.test.ts with the IAM action(s) it needs`,
      );
      continue;
    }
    for (const a of mapped) actions.set(a, [...(actions.get(a) ?? []), `${call.command} at ${call.at}`]);
  }
  return { actions, unknown };
}

const grantedActions = (t: Template, roleLogicalId: string) =>
  new Set(
    statementsOfRole(t, roleLogicalId)
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf),
  );

/** Compares needed with granted and returns readable problems (empty when they are equal). */
function compare(needed: Map<string, string[]>, granted: Set<string>, what: string): string[] {
  const problems: string[] = [];
  for (const [action, why] of needed)
    if (!granted.has(action)) problems.push(`${what}: needs ${action} (${why.join('; ')}) but is not granted it`);
  for (const action of granted) if (!needed.has(action)) problems.push(`${what}: is granted ${action}, which nothing it runs uses`);
  return problems.sort();
}

let analyses: Map<string, HandlerAnalysis>;
let monitor: MonitorStack;
let agent: AgentStack;
let t: Template;

beforeAll(() => {
  analyses = analyzeHandlers(Object.values(ENTRIES), ROOT);
  const stacks = build(fullConfig(), { bundle: false }).stacks;
  monitor = stacks.monitor;
  agent = stacks.agents.find((a) => a.readRole)!;
  t = Template.fromStack(monitor);
}, 300_000);

const roleOf: Record<Handler, () => string> = {
  drain: () => monitor.getLogicalId(monitor.processing.drainRole.node.defaultChild as never),
  sweep: () => monitor.getLogicalId(monitor.processing.sweepRole.node.defaultChild as never),
  archive: () => monitor.getLogicalId(monitor.archive!.handler.role.node.defaultChild as never),
  reconcile: () => monitor.getLogicalId(monitor.reconcile!.handler.role.node.defaultChild as never),
};

test('every function of the stack is one of the handlers checked here', () => {
  // A new handler must be added to ENTRIES (and roleOf) so that its role is checked too.
  const roles = Object.values(t.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Role['Fn::GetAtt'][0] as string);
  expect(roles.sort()).toEqual((Object.keys(ENTRIES) as Handler[]).map((h) => roleOf[h]()).sort());
});

describe.each(Object.keys(ENTRIES) as Handler[])('%s: its role grants exactly what its code and its event source use', (name) => {
  test('every SDK command it can send is in the action table, and it uses no aggregated client', () => {
    const analysis = analyses.get(ENTRIES[name])!;
    expect(analysis.files).toContain(ENTRIES[name]);
    expect(analysis.reachable.length).toBeGreaterThan(0);
    expect(neededActions(analysis.reachable).unknown).toEqual([]);
    expect(analysis.aggregatedClients).toEqual([]);
  });

  test('granted = needed by the code ∪ needed by the Lambda service', () => {
    const { actions } = neededActions(analyses.get(ENTRIES[name])!.reachable);
    for (const [action, reason] of Object.entries({ ...SERVICE_ACTIONS.all, ...SERVICE_ACTIONS[name] })) {
      actions.set(action, [...(actions.get(action) ?? []), `Lambda service: ${reason}`]);
    }
    expect(compare(actions, grantedActions(t, roleOf[name]()), name)).toEqual([]);
  });
});

test('the handlers send DynamoDB requests through the DocumentClient only, and no handler bundles a Scan', () => {
  const dynamo = (h: Handler) =>
    [
      ...new Set(
        analyses
          .get(ENTRIES[h])!
          .reachable.filter((c) => c.pkg.includes('dynamodb'))
          .map((c) => `${c.pkg}:${c.command}`),
      ),
    ].sort();
  expect(dynamo('drain')).toEqual(['@aws-sdk/lib-dynamodb:UpdateCommand']);
  expect(dynamo('sweep')).toEqual([
    '@aws-sdk/lib-dynamodb:BatchGetCommand',
    '@aws-sdk/lib-dynamodb:GetCommand',
    '@aws-sdk/lib-dynamodb:QueryCommand',
    '@aws-sdk/lib-dynamodb:UpdateCommand',
  ]);
  const scans = Object.values(ENTRIES).flatMap((e) => analyses.get(e)!.bundled.filter((c) => /^(paginate)?Scan/.test(c.command)));
  expect(scans).toEqual([]);
});

test("the agent's read role grants exactly the S3 actions the drain and sweep send through it (remote sources)", () => {
  const s3Calls = ['drain', 'sweep']
    .flatMap((h) => analyses.get(ENTRIES[h as Handler])!.reachable)
    .filter((c) => c.pkg === '@aws-sdk/client-s3');
  const { actions } = neededActions(s3Calls);
  const role = Template.fromStack(agent);
  expect(
    compare(actions, grantedActions(role, agent.getLogicalId(agent.readRole!.role.node.defaultChild as never)), 'agent read role'),
  ).toEqual([]);
});

test('the Firehose delivery role has only what Firehose documents for an S3 destination, plus error logging', () => {
  const deliveryStream = t.toJSON().Resources[monitor.getLogicalId(monitor.archive!.deliveryStream.node.defaultChild as never)];
  const roleId = deliveryStream.Properties.ExtendedS3DestinationConfiguration.RoleARN['Fn::GetAtt'][0] as string;
  // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
  const documented = [
    's3:AbortMultipartUpload',
    's3:GetBucketLocation',
    's3:GetObject',
    's3:ListBucket',
    's3:ListBucketMultipartUploads',
    's3:PutObject',
  ];
  expect([...grantedActions(t, roleId)].sort()).toEqual([...documented, 'logs:PutLogEvents'].sort());
  expect(deliveryStream.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/DeliveryPolicy/)]));
});

describe('the analysis itself (fixture handler in test/fixtures/sdk-calls)', () => {
  let fixture: HandlerAnalysis;
  beforeAll(() => {
    fixture = analyzeHandler(path.join('test', 'fixtures', 'sdk-calls', 'index.ts'), ROOT);
  }, 300_000);
  const commands = (calls: readonly SdkCall[]) => [...new Set(calls.map((c) => `${c.pkg.replace('@aws-sdk/', '')}:${c.command}`))].sort();

  test('sees every command in the bundle, named and namespace imports and paginators', () => {
    expect(commands(fixture.bundled)).toEqual([
      'client-dynamodb:DeleteItemCommand',
      'client-dynamodb:GetItemCommand',
      'client-dynamodb:QueryCommand',
      'client-s3:HeadObjectCommand',
      'lib-dynamodb:PutCommand',
      'lib-dynamodb:QueryCommand',
    ]);
  });

  test('counts only what the handler can reach: through an interface, a closure and a module-level client', () => {
    // DeleteItem sits in a method nobody calls; HeadObject in a class that does not implement the interface called.
    expect(commands(fixture.reachable)).toEqual([
      'client-dynamodb:GetItemCommand',
      'client-dynamodb:QueryCommand',
      'lib-dynamodb:PutCommand',
      'lib-dynamodb:QueryCommand',
    ]);
  });

  test('reports an aggregated client instead of guessing its calls', () => {
    expect(fixture.aggregatedClients).toEqual(['test/fixtures/sdk-calls/index.ts: S3 from @aws-sdk/client-s3']);
  });

  test('an unknown command fails with a message telling the author what to add', () => {
    const { unknown } = neededActions([{ pkg: '@aws-sdk/client-s3', command: 'RestoreObjectCommand', at: 'x.ts:1' }]);
    expect(unknown).toEqual([
      'RestoreObjectCommand (@aws-sdk/client-s3) at x.ts:1: ' +
        'add it to ACTIONS in test/lib/permissions.test.ts with the IAM action(s) it needs',
    ]);
  });

  test('compare reports both a missing and an unused grant', () => {
    const needed = new Map([['s3:GetObject', ['HeadObjectCommand at a.ts:1']]]);
    expect(compare(needed, new Set(['dynamodb:GetItem']), 'probe')).toEqual([
      'probe: is granted dynamodb:GetItem, which nothing it runs uses',
      'probe: needs s3:GetObject (HeadObjectCommand at a.ts:1) but is not granted it',
    ]);
  });
});
