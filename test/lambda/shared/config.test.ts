import { RegionInfo } from 'aws-cdk-lib/region-info';
import {
  AWS_REGIONS,
  bucketNameProblem,
  CONFIG_DEFAULTS,
  ConfigError,
  localBuckets,
  monitoredBuckets,
  parseConfigText,
  remoteSourceBuckets,
  replicationPairs,
  sourceAccounts,
  validateConfig,
} from '../../../lambda/shared/config';

const minimal = () => ({
  monitorRegion: 'us-east-1',
  replication: [{ source: 'src-bucket', destinations: ['dst-bucket'] }],
});

/** Run validateConfig and return the ConfigError it throws (fails the test if it does not throw). */
function errorOf(raw: unknown, origin?: string): ConfigError {
  try {
    validateConfig(raw, origin);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('validateConfig accepted an invalid config');
}

describe('validateConfig: intake', () => {
  test.each(['cloudtrail', 'notifications', 'eventbridge'] as const)('%s is accepted', (intake) => {
    expect(validateConfig({ ...minimal(), intake }).intake).toBe(intake);
  });
  test('intake notifications: every bucket publishes to the topic, so their ARNs must fit SNS’s 30 KB policy', () => {
    const names = Array.from({ length: 250 }, (_, i) => `bucket-with-a-rather-long-name-number-${String(i).padStart(4, '0')}`);
    const replication = [{ source: names[0], destinations: names.slice(1) }];
    expect(validateConfig({ ...minimal(), replication }).replication).toHaveLength(1);
    const err = errorOf({ ...minimal(), intake: 'notifications', replication });
    expect(err.field).toBe('replication');
    expect(err.message).toContain('names 250 buckets that publish to the forwarder topics (intake notifications: all of them)');
    expect(err.message).toContain("over SNS's 30720-byte limit; use intake 'eventbridge'");
    expect(validateConfig({ ...minimal(), intake: 'eventbridge', replication }).intake).toBe('eventbridge');
  });
  test('an existing trail is fine with the default intake', () => {
    const trail = 'arn:aws:cloudtrail:us-east-1:222222222222:trail/org';
    expect(validateConfig({ ...minimal(), existingTrailArn: trail })).toMatchObject({ intake: 'cloudtrail', existingTrailArn: trail });
  });
});

describe('validateConfig: defaults', () => {
  test('a minimal config gets every default', () => {
    const config = validateConfig(minimal());
    expect(config).toEqual({
      monitorRegion: 'us-east-1',
      regions: ['us-east-1'],
      replication: [{ source: 'src-bucket', destinations: ['dst-bucket'] }],
      remoteAccounts: [],
      archiveToS3: false,
      retentionHours: 24,
      overdueMinutes: 15,
      maxConcurrency: CONFIG_DEFAULTS.maxConcurrency,
      logRetentionDays: CONFIG_DEFAULTS.logRetentionDays,
      trailLogExpirationDays: CONFIG_DEFAULTS.trailLogExpirationDays,
      intake: 'cloudtrail',
    });
    expect(CONFIG_DEFAULTS.retentionHours).toBe(24);
    expect(CONFIG_DEFAULTS.overdueMinutes).toBe(15);
  });

  test('reconcile gets its prefixes by default, and keeps them when given', () => {
    expect(validateConfig({ ...minimal(), reconcile: { inventoryBucket: 'inv-bucket' } }).reconcile).toEqual({
      inventoryBucket: 'inv-bucket',
      inventoryPrefix: '',
      outputPrefix: 'crr-monitor/reconcile/',
    });
    const given = { inventoryBucket: 'inv-bucket', inventoryPrefix: 'inventories/', outputPrefix: 'reports/reconcile/' };
    expect(validateConfig({ ...minimal(), reconcile: given }).reconcile).toEqual(given);
  });

  test('a full config is kept as given', () => {
    const raw = {
      monitorRegion: 'eu-west-1',
      regions: ['eu-west-1', 'eu-central-1'],
      replication: [
        { source: 'a-src', destinations: ['a-dst', 'a-dst2'] },
        { source: 'remote.src', destinations: ['a-dst'], sourceAccount: '111111111111' },
      ],
      remoteAccounts: ['111111111111'],
      monitorAccount: '222222222222',
      archiveToS3: true,
      archiveBucket: 'my-archive',
      alarmEmail: 'ops@example.com',
      retentionHours: 48,
      overdueMinutes: 30,
      sloMinutes: 15,
      maxConcurrency: 10,
      existingTrailArn: 'arn:aws:cloudtrail:eu-west-1:222222222222:trail/my-trail',
      logRetentionDays: 14,
      trailLogExpirationDays: 30,
      intake: 'cloudtrail',
    };
    expect(validateConfig(raw)).toEqual(raw);
  });

  test('a sourceAccount equal to monitorAccount is the local account', () => {
    const config = validateConfig({
      ...minimal(),
      monitorAccount: '222222222222',
      replication: [{ source: 'src-bucket', destinations: ['dst-bucket'], sourceAccount: '222222222222' }],
    });
    expect(config.replication[0].sourceAccount).toBeUndefined();
  });

  test('"$schema" and "//" comment keys are ignored', () => {
    expect(() => validateConfig({ $schema: './x.json', '//': 'note', ...minimal() })).not.toThrow();
  });
});

describe('validateConfig: errors name the field', () => {
  test.each([
    [
      'an invalid destination bucket',
      { replication: [{ source: 'ok-src', destinations: ['ok-a', 'My_Bucket'] }] },
      'replication[0].destinations[1]',
      "'My_Bucket' is not a valid S3 bucket name",
    ],
    [
      'a short bucket name',
      { replication: [{ source: 'ab', destinations: ['ok-a'] }] },
      'replication[0].source',
      'must be 3 to 63 characters',
    ],
    [
      'a bucket formatted as an IP',
      { replication: [{ source: '192.168.1.1', destinations: ['ok-a'] }] },
      'replication[0].source',
      'IP address',
    ],
    [
      'a destination equal to its source',
      { replication: [{ source: 'same-b', destinations: ['same-b'] }] },
      'replication[0].destinations[0]',
      'cannot replicate to itself',
    ],
    [
      'a duplicate destination',
      { replication: [{ source: 'src-b', destinations: ['dst-b', 'dst-b'] }] },
      'replication[0].destinations[1]',
      'listed twice',
    ],
    ['a missing source', { replication: [{ destinations: ['dst-b'] }] }, 'replication[0].source', 'is required'],
    ['empty destinations', { replication: [{ source: 'src-b', destinations: [] }] }, 'replication[0].destinations', 'non-empty list'],
    [
      'an unknown rule field',
      { replication: [{ source: 'src-b', destinations: ['dst-b'], destination: 'x' }] },
      'replication[0].destination',
      'unknown field',
    ],
    ['an empty replication list', { replication: [] }, 'replication', 'non-empty list'],
    ['a region that does not exist', { monitorRegion: 'us-east-7' }, 'monitorRegion', "'us-east-7' is not an AWS region"],
    ['a bad region in regions', { regions: ['us-east-1', 'eu-westt-1'] }, 'regions[1]', 'is not an AWS region'],
    ['a region of another partition', { regions: ['us-east-1', 'cn-north-1'] }, 'regions[1]', 'partition aws-cn'],
    ['an account id that is not 12 digits', { monitorAccount: '12345' }, 'monitorAccount', 'not a 12-digit AWS account id'],
    ['a numeric account id', { remoteAccounts: [123456789012], monitorAccount: '222222222222' }, 'remoteAccounts[0]', 'not a 12-digit'],
    ['remote accounts without monitorAccount', { remoteAccounts: ['111111111111'] }, 'monitorAccount', 'required when remoteAccounts'],
    ['archive on without a bucket', { archiveToS3: true }, 'archiveBucket', 'required when archiveToS3'],
    ['archiveToS3 not a boolean', { archiveToS3: 'yes' }, 'archiveToS3', 'true or false'],
    ['an alarm email without @', { alarmEmail: 'ops.example.com' }, 'alarmEmail', 'not an e-mail address'],
    ['a zero retention', { retentionHours: 0 }, 'retentionHours', 'integer from 1'],
    ['a fractional overdue', { overdueMinutes: 2.5 }, 'overdueMinutes', 'integer >= 1'],
    ['a zero RPO objective', { sloMinutes: 0 }, 'sloMinutes', 'integer >= 1'],
    ['maxConcurrency 1 (SQS ESM needs 2)', { maxConcurrency: 1 }, 'maxConcurrency', 'integer from 2 to 1000'],
    ['overdue longer than retention', { retentionHours: 1, overdueMinutes: 60 }, 'overdueMinutes', 'expire before'],
    ['a log retention CloudWatch does not offer', { logRetentionDays: 10 }, 'logRetentionDays', 'not a CloudWatch Logs retention'],
    ['a typo in a top-level field', { overdueMinute: 5 }, 'overdueMinute', 'unknown field'],
    ['a bad trail ARN', { existingTrailArn: 'my-trail' }, 'existingTrailArn', 'not a CloudTrail trail ARN'],
    [
      'an unknown intake',
      { intake: 'cloudwatch' },
      'intake',
      "must be one of 'cloudtrail', 'notifications', 'eventbridge', got 'cloudwatch'",
    ],
    [
      'a trail with intake notifications',
      { intake: 'notifications', existingTrailArn: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/org' },
      'existingTrailArn',
      "is for intake 'cloudtrail' only: with intake 'notifications' S3 itself sends each write",
    ],
    [
      'a trail with intake eventbridge',
      { intake: 'eventbridge', existingTrailArn: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/org' },
      'existingTrailArn',
      "with intake 'eventbridge'",
    ],
    ['reconcile without an inventory bucket', { reconcile: {} }, 'reconcile.inventoryBucket', 'is required (the destination bucket'],
    [
      'a reconcile inventory bucket that is monitored',
      { reconcile: { inventoryBucket: 'dst-bucket' } },
      'reconcile.inventoryBucket',
      'monitored',
    ],
    [
      'an inventory prefix without a slash',
      { reconcile: { inventoryBucket: 'inv-b', inventoryPrefix: 'inv' } },
      'reconcile.inventoryPrefix',
      'not a key prefix',
    ],
    [
      'an empty output prefix',
      { reconcile: { inventoryBucket: 'inv-b', outputPrefix: '' } },
      'reconcile.outputPrefix',
      'must not be empty',
    ],
    [
      'a typo in a reconcile field',
      { reconcile: { inventoryBucket: 'inv-b', outputprefix: 'x/' } },
      'reconcile.outputprefix',
      "did you mean 'outputPrefix'",
    ],
  ])('%s', (_what, change, field, text) => {
    const err = errorOf({ ...minimal(), ...change });
    expect(err.field).toBe(field);
    expect(err.message).toContain(`${field}: `);
    expect(err.message).toContain(text);
  });

  test('a case typo suggests the right field name', () => {
    expect(errorOf({ ...minimal(), MonitorRegion: 'us-east-1' }).message).toContain("did you mean 'monitorRegion'");
  });

  test('a sourceAccount not in remoteAccounts', () => {
    const err = errorOf({
      ...minimal(),
      monitorAccount: '222222222222',
      replication: [{ source: 'src-b', destinations: ['dst-b'], sourceAccount: '333333333333' }],
    });
    expect(err.field).toBe('replication[0].sourceAccount');
    expect(err.message).toContain('not listed in remoteAccounts');
  });

  test('the same pair in two rules', () => {
    const err = errorOf({
      ...minimal(),
      replication: [
        { source: 'src-b', destinations: ['dst-b'] },
        { source: 'src-b', destinations: ['dst-b'] },
      ],
    });
    expect(err.field).toBe('replication[1].destinations[0]');
    expect(err.message).toContain('already configured at replication[0].destinations[0]');
  });

  test('a remote source that is also a destination', () => {
    const err = errorOf({
      ...minimal(),
      monitorAccount: '222222222222',
      remoteAccounts: ['111111111111'],
      replication: [
        { source: 'a-bucket', destinations: ['b-bucket'] },
        { source: 'b-bucket', destinations: ['c-bucket'], sourceAccount: '111111111111' },
      ],
    });
    expect(err.field).toBe('replication[1].source');
  });

  test('every problem is reported, with the origin file name', () => {
    const err = errorOf(
      { monitorRegion: 'nowhere-1', replication: [{ source: 'UPPER', destinations: ['ok-b'] }], retentionHours: -1 },
      'crr-monitor.config.json',
    );
    expect(err.message.startsWith('crr-monitor.config.json: invalid configuration (3 problems)')).toBe(true);
    expect(err.problems.map((p) => p.field)).toEqual(['monitorRegion', 'replication[0].source', 'retentionHours']);
    expect(err.field).toBe('monitorRegion');
  });

  test('not an object', () => {
    expect(errorOf([]).message).toContain('must be a JSON object');
    expect(errorOf(null).field).toBe('(root)');
  });

  test('missing required fields', () => {
    const err = errorOf({});
    expect(err.problems.map((p) => p.field)).toEqual(['monitorRegion', 'replication']);
  });
});

describe('bucket names', () => {
  test.each(['abc', 'my.bucket-1', 'a'.repeat(63), '0-numbers-first'])('%s is valid', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });
  test.each([
    'ab',
    'a'.repeat(64),
    'Upper',
    'under_score',
    '-start',
    'end-',
    'two..dots',
    '10.0.0.1',
    'xn--punycode',
    'sthree-x',
    'name-s3alias',
    'name--x-s3',
    'amzn-s3-demo-bucket',
  ])('%s is invalid', (name) => {
    expect(bucketNameProblem(name)).toBeDefined();
  });
});

describe('regions', () => {
  test('every accepted region is known to aws-cdk-lib region-info', () => {
    const known = new Set(RegionInfo.regions.map((r) => r.name));
    for (const region of AWS_REGIONS) expect(known).toContain(region);
  });
});

describe('pairs and buckets', () => {
  const config = validateConfig({
    monitorRegion: 'us-east-1',
    monitorAccount: '222222222222',
    remoteAccounts: ['111111111111'],
    replication: [
      { source: 'b-src', destinations: ['z-dst', 'a-dst'] },
      { source: 'a-dst', destinations: ['b-src'] },
      { source: 'remote-src', destinations: ['z-dst'], sourceAccount: '111111111111' },
    ],
  });

  test('replicationPairs lists every pair once, in file order (bi-directional pairs included)', () => {
    expect(replicationPairs(config)).toEqual([
      { source: 'b-src', destination: 'z-dst' },
      { source: 'b-src', destination: 'a-dst' },
      { source: 'a-dst', destination: 'b-src' },
      { source: 'remote-src', destination: 'z-dst' },
    ]);
  });

  test('monitoredBuckets is sources ∪ destinations, sorted and unique', () => {
    expect(monitoredBuckets(config)).toEqual(['a-dst', 'b-src', 'remote-src', 'z-dst']);
  });

  test('local and remote buckets are split by sourceAccount', () => {
    expect(localBuckets(config)).toEqual(['a-dst', 'b-src', 'z-dst']);
    expect(remoteSourceBuckets(config, '111111111111')).toEqual(['remote-src']);
    expect(sourceAccounts(config)).toEqual(['111111111111']);
  });
});

describe('parseConfigText', () => {
  test('accepts comments and trailing commas, keeping // inside strings', () => {
    const text = `{
      // the monitor region
      "monitorRegion": "us-east-1", /* block */
      "alarmEmail": "a//b@example.com",
      "replication": [ { "source": "src-b", "destinations": ["dst-b",], }, ],
    }`;
    expect(parseConfigText(text)).toEqual({
      monitorRegion: 'us-east-1',
      alarmEmail: 'a//b@example.com',
      replication: [{ source: 'src-b', destinations: ['dst-b'] }],
    });
  });

  test('a syntax error names the file and line', () => {
    try {
      parseConfigText('{\n  "monitorRegion": "us-east-1"\n  "regions": []\n}', 'x.json');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^x\.json: not valid JSON at line 3/);
    }
  });
});
