/**
 * `crr-monitor local --intake MODE` (issue 14): the generated workload published as CloudTrail events, S3 event
 * notifications or S3's EventBridge events, through the same pipeline (SNS → SQS → drain → DynamoDB → sweep), as the
 * real binary. One workload gives the same report in every mode; the multi-destination pair completes for both
 * destinations from the events alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReplicationReport } from '../../../lambda/core';
import { generateWorkload } from '../../../tools/local-pipeline/workload';
import { runCli } from '../../support/run-cli';

jest.setTimeout(180_000);
const MODES = ['cloudtrail', 'notifications', 'eventbridge'] as const;

/** The report without its time and without `bytes` (CloudTrail gives no size for copies and multipart uploads). */
const withoutBytes = ({ asOf: _asOf, pairs, ...rest }: ReplicationReport) => ({ ...rest, pairs: pairs.map(({ bytes: _b, ...p }) => p) });

describe('local --intake', () => {
  const reports = new Map<string, ReplicationReport>();

  it.each(MODES)(
    '%s: the generated demo exits 0 and every pair is reported, both destinations of the multi-destination rule included',
    async (mode) => {
      const { code, stdout, stderr } = await runCli(['local', '--intake', mode, '--objects', '300', '--seed', '5', '--format', 'json']);
      expect(code).toBe(0);
      expect(stderr).toContain(`intake ${mode}:`);
      expect(stderr).toMatch(/0 to the DLQ/);
      const report = JSON.parse(stdout) as ReplicationReport;
      reports.set(mode, report);
      expect(report.rejected).toBe(0);
      expect(report.unattributed).toBe(0);
      const photos = report.pairs.filter((p) => p.source === 'photos-use1');
      expect(photos.map((p) => p.destination)).toEqual(['photos-apse2', 'photos-euw2']);
      for (const p of photos) expect(p.completed).toBeGreaterThan(90);
    },
  );

  it('the three modes give the same report (sizes aside: S3 events give every size, CloudTrail PutObject’s only)', () => {
    const [cloudtrail, notifications, eventbridge] = MODES.map((m) => reports.get(m)!);
    expect(withoutBytes(notifications)).toEqual(withoutBytes(cloudtrail));
    expect(withoutBytes(eventbridge)).toEqual(withoutBytes(cloudtrail));
    expect(notifications.pairs).toEqual(eventbridge.pairs);
    for (let i = 0; i < cloudtrail.pairs.length; i++)
      expect(notifications.pairs[i].bytes).toBeGreaterThanOrEqual(cloudtrail.pairs[i].bytes);
  });

  it('rejects an unknown mode, and --intake with --events', async () => {
    const bad = await runCli(['local', '--intake', 'cloudwatch']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--intake cloudwatch: expected cloudtrail, notifications, eventbridge');
    const replay = await runCli(['local', '--intake', 'notifications', '--events', 'test/fixtures/events']);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('--intake shapes the generated workload');
  });
});

describe('one workload in the three shapes (no copies): exactly the same report, and the ground truth', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crr-shapes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('analyze and local --events print the same report for each shape, and the shapes agree', async () => {
    const rules = [
      { source: 'src-one', destinations: ['dst-one', 'dst-two'] },
      { source: 'src-two', destinations: ['dst-three'] },
    ];
    const files: Record<string, string> = {};
    let truth: ReturnType<typeof generateWorkload> = [];
    for (const shape of MODES) {
      const lines: string[] = [];
      truth = generateWorkload(
        { objects: 300, rules, failRate: 0.05, delayRate: 0.05, copyRate: 0, seed: 3, spacingMillis: 3000, shape },
        (e) => lines.push(JSON.stringify(e)),
      );
      files[shape] = path.join(dir, `${shape}.jsonl`);
      writeFileSync(files[shape], lines.join('\n') + '\n');
    }
    const pairs = ['src-one=dst-one', 'src-one=dst-two', 'src-two=dst-three'].flatMap((p) => ['--pair', p]);
    const analyzed: Record<string, ReplicationReport> = {};
    for (const shape of MODES) {
      const { code, stdout } = await runCli(['analyze', ...pairs, '--format', 'json', files[shape]]);
      expect(code).toBe(0);
      analyzed[shape] = JSON.parse(stdout);
    }
    expect(analyzed.notifications).toEqual(analyzed.cloudtrail);
    expect(analyzed.eventbridge).toEqual(analyzed.cloudtrail);
    // The monitor's verdicts are the workload's ground truth.
    for (const t of truth) {
      const p = analyzed.eventbridge.pairs.find((x) => x.source === t.source && x.destination === t.destination)!;
      expect({ completed: p.completed, failed: p.failed, open: p.pending + p.overdue, bytes: p.bytes }).toEqual({
        completed: t.completed,
        failed: t.failed,
        open: t.unreplicated,
        bytes: t.bytes,
      });
    }
    for (const shape of ['notifications', 'eventbridge']) {
      const { code, stdout } = await runCli(['local', '--quiet', '--events', ...pairs, '--format', 'json', files[shape]]);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(analyzed[shape]);
    }
  });
});
