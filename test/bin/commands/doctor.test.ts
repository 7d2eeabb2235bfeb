/**
 * `crr-monitor doctor` through the real binary, against a loopback endpoint (AWS_ENDPOINT_URL) that answers S3's
 * REST XML, STS's and CloudFormation's query XML and CloudTrail's JSON 1.1 as the services do.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { ROOT, runCli } from '../../support/run-cli';

const FIXTURES = path.join(ROOT, 'test/fixtures/doctor');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

interface Answer {
  status?: number;
  type?: string;
  body: string;
}

/** What the fake account holds; each test changes what it needs. */
interface Account {
  versioning: Record<string, string>;
  replication: string;
  notification: string;
  /** Per bucket, instead of `notification`. */
  notifications?: Record<string, string>;
  /** ListBucketInventoryConfigurations per bucket; a bucket without an entry has none (an empty list). */
  inventory: Record<string, string>;
  /** The reconcile's inventory bucket has EventBridge notifications on. */
  inventoryBucketEventBridge?: boolean;
  stacks: Record<string, string>;
}

function healthyAccount(): Account {
  return {
    versioning: { 'doctor-source': 'Enabled', 'doctor-replica': 'Enabled' },
    replication: fixture('replication.xml'),
    notification: fixture('notification.xml'),
    inventory: { 'doctor-source': fixture('inventory.xml'), 'doctor-replica': fixture('inventory.xml') },
    stacks: { MonitorStack: 'UPDATE_COMPLETE', 'CrrForwarder-us-east-1': 'CREATE_COMPLETE' },
  };
}

function answer(account: Account, method: string, url: URL, headers: http.IncomingHttpHeaders, body: string): Answer {
  const target = String(headers['x-amz-target'] ?? '');
  if (/CloudTrail_20131101\./.test(target)) {
    const type = 'application/x-amz-json-1.1';
    const op = target.split('.').pop();
    if (op === 'DescribeTrails') {
      const trail = {
        Name: 'MonitorTrail',
        TrailARN: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/MonitorTrail',
        HomeRegion: 'us-east-1',
        IsMultiRegionTrail: true,
      };
      return { type, body: JSON.stringify({ trailList: [trail] }) };
    }
    if (op === 'GetEventSelectors') return { type, body: fixture('event-selectors.json') };
    if (op === 'GetTrailStatus') return { type, body: JSON.stringify({ IsLogging: true }) };
  }
  if (url.pathname === '/refuse') {
    const error = '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>';
    return {
      status: 403,
      type: 'text/xml',
      body: `${error}<Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>`,
    };
  }
  if (method === 'POST' && url.pathname === '/') {
    const form = new URLSearchParams(body);
    const action = form.get('Action');
    if (action === 'GetCallerIdentity') {
      return {
        type: 'text/xml',
        body:
          '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          '<Arn>arn:aws:iam::222222222222:user/operator</Arn><UserId>AIDAEXAMPLE</UserId><Account>222222222222</Account>' +
          '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      };
    }
    if (action === 'DescribeStacks') {
      const name = form.get('StackName') ?? '';
      const status = account.stacks[name];
      const ns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
      if (!status) {
        return {
          status: 400,
          type: 'text/xml',
          body:
            `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
            `<Message>Stack with id ${name} does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`,
        };
      }
      return {
        type: 'text/xml',
        body:
          `<DescribeStacksResponse xmlns="${ns}"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName>` +
          `<StackId>arn:aws:cloudformation:us-east-1:222222222222:stack/${name}/1</StackId>` +
          `<CreationTime>2026-11-01T00:00:00Z</CreationTime><StackStatus>${status}</StackStatus></member></Stacks>` +
          '</DescribeStacksResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></DescribeStacksResponse>',
      };
    }
  }
  // S3, path style (the endpoint is an IP address).
  const bucket = url.pathname.split('/')[1];
  const xml = (inner: string) => ({ type: 'application/xml', body: `<?xml version="1.0" encoding="UTF-8"?>\n${inner}` });
  if (url.searchParams.has('location')) return xml(`<LocationConstraint xmlns="${S3_NS}"/>`);
  if (url.searchParams.has('versioning')) {
    const status = account.versioning[bucket];
    return xml(`<VersioningConfiguration xmlns="${S3_NS}">${status ? `<Status>${status}</Status>` : ''}</VersioningConfiguration>`);
  }
  if (url.searchParams.has('replication')) return { type: 'application/xml', body: account.replication };
  if (url.searchParams.has('notification')) {
    if (bucket === 'doctor-inventories' && account.inventoryBucketEventBridge)
      return xml(
        `<NotificationConfiguration xmlns="${S3_NS}"><EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>`,
      );
    return { type: 'application/xml', body: account.notifications?.[bucket] ?? account.notification };
  }
  if (url.searchParams.has('inventory')) {
    const none = `<ListInventoryConfigurationsResult xmlns="${S3_NS}"><IsTruncated>false</IsTruncated></ListInventoryConfigurationsResult>`;
    return { type: 'application/xml', body: account.inventory[bucket] ?? xml(none).body };
  }
  return { status: 501, type: 'text/plain', body: `not answered: ${method} ${url}` };
}

async function withEndpoint<T>(account: Account, fn: (endpoint: string) => Promise<T>): Promise<T> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const a = answer(account, req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost'), req.headers, body);
      res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/xml' }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Credentials and region for the SDK's standard chain; the endpoint is the loopback server. */
const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1', ...env } });

const CONFIG = 'test/fixtures/doctor/config.json';

describe('crr-monitor doctor (binary)', () => {
  it('passes a healthy setup, reading every answer from AWS_ENDPOINT_URL', async () => {
    await withEndpoint(healthyAccount(), async (endpoint) => {
      const result = await run(['doctor', '--config', CONFIG, '--format', 'json'], { AWS_ENDPOINT_URL: endpoint });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const { checks, summary } = JSON.parse(result.stdout);
      expect(summary).toEqual({ pass: 11, warn: 0, fail: 0, skip: 0 });
      const inventory = checks.find((c: { check: string }) => c.check === 'inventory').detail;
      expect(inventory).toContain("'all-versions' (Daily, Parquet)");
      expect(checks.find((c: { check: string }) => c.check === 'replication-metrics').detail).toContain('Replication Time Control on');
      expect(checks.find((c: { check: string }) => c.check === 'replication-rule').detail).toContain("'everything' (priority 1)");
    });
  });

  it('exits 1 and prints each failure with its fix', async () => {
    const account = healthyAccount();
    account.versioning['doctor-replica'] = 'Suspended';
    account.notification = `<NotificationConfiguration xmlns="${S3_NS}"/>`;
    delete account.stacks['CrrForwarder-us-east-1'];
    await withEndpoint(account, async (endpoint) => {
      const result = await run(['doctor', '--config', CONFIG], { AWS_ENDPOINT_URL: endpoint });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL\s+versioning\s+doctor-replica\s+versioning is Suspended/);
      expect(result.stdout).toMatch(/FAIL\s+notifications\s+doctor-source/);
      expect(result.stdout).toMatch(/FAIL\s+stack\s+CrrForwarder-us-east-1 \(222222222222, us-east-1\)\s+the stack does not exist/);
      expect(result.stdout).toContain('put-bucket-versioning --bucket doctor-replica');
      expect(result.stdout).toContain("npx cdk deploy 'CrrForwarder-us-east-1'");
      expect(result.stdout).toContain('8 passed, 0 warnings, 3 failed, 0 skipped');
    });
  });

  it('checks each bucket has an all-versions inventory with the fields reconcile needs: fails with reconcile on, warns with it off', async () => {
    const account = healthyAccount();
    // The replica's only inventory lists current versions: reconcile cannot see versions or replication statuses.
    account.inventory['doctor-replica'] = fixture('inventory.xml').replace(
      /<InventoryConfiguration>\s*<Id>all-versions[\s\S]*?<\/InventoryConfiguration>/,
      '',
    );
    await withEndpoint(account, async (endpoint) => {
      const on = await run(['doctor', '--config', 'test/fixtures/doctor/config-reconcile.json'], { AWS_ENDPOINT_URL: endpoint });
      expect(on.code).toBe(1);
      expect(on.stdout).toMatch(/PASS\s+inventory\s+doctor-source\s+inventory 'all-versions' \(Daily, Parquet\) lists all versions/);
      expect(on.stdout).toMatch(
        /FAIL\s+inventory\s+doctor-replica\s+no inventory configuration serves reconcile: 'current-only' \(Weekly, CSV\)/,
      );
      expect(on.stdout).toContain('it lists Current versions, not All');
      expect(on.stdout).toContain('lacks the field(s) LastModifiedDate, ReplicationStatus');
      expect(on.stdout).toContain("its prefix is '', not reconcile.inventoryPrefix 'inventories/'");
      expect(on.stdout).toContain('put-bucket-inventory-configuration --bucket doctor-replica');
      // The trigger: the inventory bucket answers with the source's configuration, which has no EventBridgeConfiguration.
      expect(on.stdout).toMatch(/FAIL\s+reconcile-trigger\s+doctor-inventories\s+EventBridge notifications are off/);
      expect(on.stdout).toContain('add "EventBridgeConfiguration": {}');
      const off = await run(['doctor', '--config', CONFIG, '--format', 'json'], { AWS_ENDPOINT_URL: endpoint });
      expect(off.code).toBe(0);
      const { checks, summary } = JSON.parse(off.stdout);
      expect(summary).toEqual({ pass: 10, warn: 1, fail: 0, skip: 0 });
      expect(checks.find((c: { check: string; subject: string }) => c.check === 'inventory' && c.subject === 'doctor-replica').status).toBe(
        'warn',
      );
    });
  });

  it('passes the reconcile trigger when the inventory bucket sends its events to EventBridge', async () => {
    const account = { ...healthyAccount(), inventoryBucketEventBridge: true };
    await withEndpoint(account, async (endpoint) => {
      const result = await run(['doctor', '--config', 'test/fixtures/doctor/config-reconcile.json', '--format', 'json'], {
        AWS_ENDPOINT_URL: endpoint,
      });
      expect(result.code).toBe(0);
      const { checks, summary } = JSON.parse(result.stdout);
      expect(summary).toEqual({ pass: 12, warn: 0, fail: 0, skip: 0 });
      expect(checks.find((c: { check: string }) => c.check === 'reconcile-trigger')).toMatchObject({
        subject: 'doctor-inventories',
        status: 'pass',
      });
    });
  });

  it('exits 1 with one line when the credentials are refused', async () => {
    await withEndpoint(healthyAccount(), async (endpoint) => {
      const result = await run(['doctor', '--config', CONFIG], { AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_STS: `${endpoint}/refuse` });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^crr-monitor: cannot tell which account these credentials belong to \(STS GetCallerIdentity\): .+\n$/);
    });
  });

  it('exits 2 on usage errors, naming the problem', async () => {
    const unknown = await run(['doctor', '--config', CONFIG, '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--frobnicate'");
    const format = await run(['doctor', '--config', CONFIG, '--format', 'yaml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format yaml: expected table or json');
    const missing = await run(['doctor', '--config', 'test/fixtures/doctor/absent.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('file not found');
    const help = await run(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('crr-monitor doctor [--config FILE]');
  });
});

describe('crr-monitor doctor: intake notifications and eventbridge (binary)', () => {
  type Checked = { check: string; subject: string; status: string; detail: string; fix?: string };
  const doctorJson = async (account: Account, config: string) =>
    withEndpoint(account, async (endpoint) => {
      const result = await run(['doctor', '--config', config, '--format', 'json'], { AWS_ENDPOINT_URL: endpoint });
      expect(result.stderr).toBe('');
      return { code: result.code, ...(JSON.parse(result.stdout) as { checks: Checked[]; summary: Record<string, number> }) };
    });
  const NOTIFICATIONS = 'test/fixtures/doctor/config-notifications.json';
  const EVENTBRIDGE = 'test/fixtures/doctor/config-eventbridge.json';
  const TOPIC = 'arn:aws:sns:us-east-1:222222222222:CrrForwarder-us-east-1-Events';

  it('notifications: passes when every bucket sends s3:ObjectCreated:* to its region’s forwarder topic; no trail check', async () => {
    const account = { ...healthyAccount(), notification: fixture('notification-object-created.xml') };
    const { code, checks, summary } = await doctorJson(account, NOTIFICATIONS);
    expect(code).toBe(0);
    expect(checks.filter((c) => c.check === 'intake')).toEqual([
      { check: 'intake', subject: 'doctor-replica', status: 'pass', detail: `object creations (s3:ObjectCreated:*) go to ${TOPIC}` },
      { check: 'intake', subject: 'doctor-source', status: 'pass', detail: `object creations (s3:ObjectCreated:*) go to ${TOPIC}` },
    ]);
    expect(checks.some((c) => c.check === 'trail')).toBe(false);
    // The healthy account's two inventories pass as well (issue 16).
    expect(checks.filter((c) => c.check === 'inventory').map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(summary).toEqual({ pass: 11, warn: 0, fail: 0, skip: 0 });
  });

  it('notifications: a bucket without it fails with the merge command', async () => {
    const account = {
      ...healthyAccount(),
      notifications: {
        'doctor-source': fixture('notification-object-created.xml'),
        'doctor-replica': `<NotificationConfiguration xmlns="${S3_NS}"/>`,
      },
    };
    const { code, checks } = await doctorJson(account, NOTIFICATIONS);
    expect(code).toBe(1);
    const replica = checks.find((c) => c.check === 'intake' && c.subject === 'doctor-replica')!;
    expect(replica.status).toBe('fail');
    expect(replica.detail).toBe(`no s3:ObjectCreated:* notification goes to ${TOPIC}: the bucket's writes never reach the monitor`);
    expect(replica.fix).toContain('aws s3api get-bucket-notification-configuration --bucket doctor-replica > current.json');
    expect(replica.fix).toContain(`{"Id": "crr-monitor", "TopicArn": "${TOPIC}", "Events": ["s3:ObjectCreated:*"]}`);
    expect(replica.fix).toContain(
      'aws s3api put-bucket-notification-configuration --bucket doctor-replica --notification-configuration file://current.json',
    );
  });

  it('notifications: names a configuration that already sends object creations elsewhere (S3 would refuse ours)', async () => {
    const account = {
      ...healthyAccount(),
      notifications: { 'doctor-source': fixture('notification-object-created.xml'), 'doctor-replica': fixture('notification-overlap.xml') },
    };
    await withEndpoint(account, async (endpoint) => {
      const result = await run(['doctor', '--config', NOTIFICATIONS], { AWS_ENDPOINT_URL: endpoint });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL\s+intake\s+doctor-replica\s+no s3:ObjectCreated:\* notification goes to/);
      expect(result.stdout).toContain(
        "QueueConfiguration 'etl-ingest' → arn:aws:sqs:us-east-1:222222222222:etl-ingest (s3:ObjectCreated:*)",
      );
      expect(result.stdout).toContain('S3 would refuse one');
      expect(result.stdout).toContain('set intake to "eventbridge"');
    });
  });

  it('eventbridge: passes with EventBridgeConfiguration on, fails without it, with the merge command', async () => {
    const on = await doctorJson({ ...healthyAccount(), notification: fixture('notification-eventbridge.xml') }, EVENTBRIDGE);
    expect(on.code).toBe(0);
    expect(on.checks.filter((c) => c.check === 'intake').map((c) => [c.subject, c.status])).toEqual([
      ['doctor-replica', 'pass'],
      ['doctor-source', 'pass'],
    ]);
    const off = await doctorJson({ ...healthyAccount(), notification: fixture('notification-object-created.xml') }, EVENTBRIDGE);
    expect(off.code).toBe(1);
    const failed = off.checks.filter((c) => c.check === 'intake');
    expect(failed.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(failed[0].detail).toBe('EventBridge notifications are off: its Object Created events never reach the monitor');
    expect(failed[0].fix).toContain('add "EventBridgeConfiguration": {} to current.json');
    expect(failed[0].fix).toContain('put-bucket-notification-configuration --bucket doctor-replica');
  });
});
