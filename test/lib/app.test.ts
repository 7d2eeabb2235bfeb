import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, validateConfig } from '../../lambda/shared/config';
import { METRIC, METRIC_UNIT } from '../../lambda/core/metric-names';
import { OBJECT_WRITE_OPERATIONS } from '../../lambda/core/types';
import { runtimeConfigFrom } from '../../lambda/shared/contract';
import { loadConfig } from '../../lib/config-loader';
import { MAX_PATTERN_CHARS, OBJECT_WRITE_EVENT_NAMES, objectWritePatterns } from '../../lib/event-pattern';
import { handlerConfig } from '../../lib/stacks/monitor-stack';
import { ARCHIVE_COLUMNS } from '../../lib/constructs/archive';
import { archiveRow } from '../../lambda/archive/archive';
import { fullConfig, REMOTE_ACCOUNT, ROOT } from './helpers';

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-config-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('config files in the repository', () => {
  test.each(['crr-monitor.config.json', 'crr-monitor.config.example.jsonc'])('%s is valid', (file) => {
    expect(() => loadConfig(file, ROOT)).not.toThrow();
  });

  test('the commented example exercises every optional feature (remote accounts, several regions, archive)', () => {
    const example = loadConfig('crr-monitor.config.example.jsonc', ROOT);
    expect(example.remoteAccounts.length).toBeGreaterThan(0);
    expect(example.regions.length).toBeGreaterThan(1);
    expect(example.archiveToS3).toBe(true);
  });

  test('a missing file is a ConfigError that says what to do', () => {
    expect(() => loadConfig('no-such-file.json', ROOT)).toThrow(ConfigError);
    expect(() => loadConfig('no-such-file.json', ROOT)).toThrow(/file not found.*-c config=PATH/);
  });
});

describe('synth with the default config', () => {
  test('bin/app.ts synthesizes every stack with no credentials', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-out-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CDK_OUTDIR: outdir,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
    };
    delete env.CRR_MONITOR_CONFIG;
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    const templates = fs
      .readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .sort();
    expect(templates).toEqual([
      'CrrForwarder-us-east-1.template.json',
      'CrrForwarder-us-west-2.template.json',
      'MonitorStack.template.json',
    ]);
  });
});

describe('synth with a bad config', () => {
  test('stops before building anything, naming the file and each bad field', () => {
    const file = tmpFile(
      'bad.json',
      JSON.stringify({
        monitorRegion: 'us-east-1',
        replication: [{ source: 'good-src', destinations: ['My_Bucket'] }],
        remoteAccounts: ['1234'],
        monitorAccount: '222222222222',
        archiveToS3: true,
      }),
    );
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-out-'));
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      env: { ...process.env, CRR_MONITOR_CONFIG: file, CDK_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${file}: invalid configuration (3 problems)`);
    expect(result.stderr).toContain("replication[0].destinations[0]: 'My_Bucket' is not a valid S3 bucket name");
    expect(result.stderr).toContain("remoteAccounts[0]: '1234' is not a 12-digit AWS account id");
    expect(result.stderr).toContain('archiveBucket: is required when archiveToS3 is true');
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('-c config=PATH selects the file (bad region named)', () => {
    const file = tmpFile(
      'region.jsonc',
      '{ "monitorRegion": "us-east-9", // no such region\n "replication": [{"source": "aaa", "destinations": ["bbb"]}] }',
    );
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-out-'));
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: file }), CDK_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("monitorRegion: 'us-east-9' is not an AWS region");
  });
});

describe('contract with the handlers', () => {
  test('CONFIG_JSON is read by the handlers as the same pairs, thresholds and agent roles', () => {
    const config = fullConfig();
    const runtime = runtimeConfigFrom(JSON.parse(JSON.stringify(handlerConfig(config))));
    expect(runtime.pairs).toHaveLength(5);
    expect(runtime.retentionHours).toBe(48);
    expect(runtime.overdueMinutes).toBe(20);
    expect(runtime.agentRoles).toEqual({ 'partner-src': `arn:aws:iam::${REMOTE_ACCOUNT}:role/crr-monitor-agent-read-us-east-1` });
  });

  test('the rules and the trail match exactly the object writes the core tracks', () => {
    expect(OBJECT_WRITE_EVENT_NAMES).toEqual([...OBJECT_WRITE_OPERATIONS]);
  });

  test('the Glue table has exactly the columns the archive handler writes', () => {
    const row = archiveRow(
      {
        source: 's',
        destination: 'd',
        key: 'k',
        versionId: 'v',
        state: 'COMPLETED',
        sourceAt: 0,
        latencySeconds: 1,
        bytes: 2,
      },
      'completed',
      0,
      '',
    );
    expect(ARCHIVE_COLUMNS.map((c) => c.name).sort()).toEqual(
      Object.keys(row)
        .map((k) => k.toLowerCase())
        .sort(),
    );
  });

  test('every metric has a unit', () => {
    for (const name of Object.values(METRIC)) expect(METRIC_UNIT[name]).toBeDefined();
    expect(METRIC_UNIT.ReplicationSpeed).toBe('Bytes/Second');
  });

  test('agent roles use the partition of the monitor region', () => {
    const config = validateConfig({
      monitorRegion: 'cn-north-1',
      regions: ['cn-north-1', 'cn-northwest-1'],
      monitorAccount: '222222222222',
      remoteAccounts: ['111111111111'],
      replication: [{ source: 'cn-src', destinations: ['cn-dst'], sourceAccount: '111111111111' }],
    });
    expect(handlerConfig(config).agentRoles['cn-src']).toBe('arn:aws-cn:iam::111111111111:role/crr-monitor-agent-read-cn-north-1');
  });
});

describe('event patterns', () => {
  test('a few buckets fit in one pattern', () => {
    const patterns = objectWritePatterns(['b-bucket', 'a-bucket']);
    expect(patterns).toHaveLength(1);
    expect(patterns[0].detail).toEqual({
      eventSource: ['s3.amazonaws.com'],
      eventName: ['PutObject', 'CopyObject', 'CompleteMultipartUpload'],
      requestParameters: { bucketName: ['a-bucket', 'b-bucket'] },
    });
  });

  test('490 maximum-length bucket names split into patterns under the quota, covering each bucket once', () => {
    const names = Array.from({ length: 490 }, (_, i) => `${'x'.repeat(58)}-${String(i).padStart(4, '0')}`);
    const patterns = objectWritePatterns(names, ['123456789012']);
    const covered = patterns.flatMap((p) => (p.detail as { requestParameters: { bucketName: string[] } }).requestParameters.bucketName);
    expect(covered).toHaveLength(490);
    expect(new Set(covered).size).toBe(490);
    for (const p of patterns) expect(JSON.stringify(p).length).toBeLessThanOrEqual(MAX_PATTERN_CHARS);
  });
});
