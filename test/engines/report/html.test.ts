/**
 * The HTML page as a person sees it: `analyze --format html` through the binary, loaded in headless Chromium
 * (test/support/browser.ts): headings and figures visible, charts drawn with a size, a hostile key shown as text,
 * nothing fetched. And a large report stays under 2 MB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { HTML_LIMITS, renderHtml, type HtmlReportInput } from '../../../engines/report/html';
import type { ReplicationReport, SloPair } from '../../../lambda/core';
import { failureHint } from '../../../lambda/core/failures';
import { eventBridgeWrite, replicationNotification } from '../../../tools/local-pipeline/events';
import { launchChromium, openHtml } from '../../support/browser';
import { runCli } from '../../support/run-cli';

const SRC = 'photos-use1';
const DST = 'photos-euw2';
const HOSTILE = 'evil/<img src=x onerror="document.title=1">\u202e&amp;\u2028"\'.txt';

let browser: Browser;
let dir: string;
beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(path.join(tmpdir(), 'crr-html-test-'));
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const t = (iso: string) => Date.parse(iso);
const version = (key: string, at: string, latency: number | null) => [
  eventBridgeWrite({ bucket: SRC, key, versionId: `v-${key}`, at: t(at), bytes: 1000 }),
  ...(latency === null
    ? []
    : [eventBridgeWrite({ bucket: DST, key, versionId: `v-${key}`, at: t(at) + latency * 1000, bytes: 1000, byReplication: true })]),
];
const failure = (key: string, at: string, reason: string) => [
  ...version(key, at, null),
  replicationNotification({ source: SRC, destination: DST, key, versionId: `v-${key}`, at: t(at) + 60_000, reason }),
];

describe('analyze --format html in a real browser', () => {
  it('shows the headings, figures and charts a person reads, fetches nothing, and shows a hostile key as text', async () => {
    const events = [
      ...version('a', '2026-11-20T10:00:00Z', 4),
      ...version('b', '2026-11-20T11:00:00Z', 40),
      ...version('c', '2026-11-20T12:00:00Z', 1200),
      ...version('d', '2026-11-21T09:00:00Z', 8),
      ...version('e', '2026-11-21T10:00:00Z', null), // pending 2 h: missed, overdue
      ...failure(HOSTILE, '2026-11-21T08:00:00Z', 'DstPutObjectNotPermitted'),
      ...failure('f2', '2026-11-21T08:10:00Z', 'DstPutObjectNotPermitted'),
      ...failure('f3', '2026-11-21T08:20:00Z', 'DstKmsKeyNotFound'),
    ];
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const { code, stdout, stderr } = await runCli([
      'analyze',
      '--pair',
      `${SRC}=${DST}`,
      '--at',
      '2026-11-21T12:00:00Z',
      '--format',
      'html',
      file,
    ]);
    expect([code, stderr]).toEqual([0, '']);
    const { page, requests, close } = await openHtml(browser, stdout);
    try {
      expect(await page.title()).toBe('S3 replication report');
      expect(await page.locator('h1').innerText()).toBe('S3 replication report');
      expect(await page.locator('p.sub').innerText()).toBe('as of 2026-11-21T12:00:00.000Z · recovery point objective 15 min · 1 pair');
      const headings = await page.locator('h2, h3').allInnerTexts();
      expect(headings).toEqual([
        'photos-use1 → photos-euw2',
        'Latency distribution',
        'RPO compliance by day (objective 15 min)',
        'Failures by reason (3)',
        'Overdue (1)',
      ]);
      // The RPO figures: 8 versions judged (4 completed, 3 failed, 1 pending past 15 min), 3 within.
      const figures = await page.locator('section.pair dl.figures').nth(1).innerText();
      expect(figures.replace(/\s+/g, ' ')).toBe('Within objective 37.5 % Versions judged 8 Missed 5 Worst 4 h');
      const dayRows = await page.locator('table').filter({ hasText: 'RPO by UTC day' }).locator('tbody tr').allInnerTexts();
      expect(dayRows.map((r) => r.split('\t').map((c) => c.trim()))).toEqual([
        ['all days', '8', '3', '5', '37.5 %', '4 h'],
        ['2026-11-20', '3', '2', '1', '66.666 %', '20 min'],
        ['2026-11-21', '5', '1', '4', '20 %', '4 h'],
      ]);
      // Failures by class and reason, with the fix, the hostile key shown as the text it is.
      const failureRows = await page.locator('table').filter({ hasText: 'by class and reason' }).locator('tbody tr').allInnerTexts();
      expect(failureRows).toHaveLength(2);
      expect(failureRows[0]).toContain('DstPutObjectNotPermitted');
      expect(failureRows[0]).toContain(failureHint('DstPutObjectNotPermitted'));
      expect(failureRows[0]).toContain('evil/<img src=x onerror="document.title=1">\\u202e&amp;\\u2028"\'.txt');
      expect(failureRows[1]).toContain('DstKmsKeyNotFound');
      expect(await page.locator('img, script').count()).toBe(0);
      expect(await page.title()).toBe('S3 replication report');
      // Charts are drawn: each SVG has a size, and so do its bars.
      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBe(2);
      for (let i = 0; i < 2; i++) {
        const box = await charts.nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(300);
        expect(box!.height).toBeGreaterThan(100);
      }
      const tallest = await page
        .locator('svg.chart rect.bar')
        .evaluateAll((bars) => Math.max(...bars.map((b) => b.getBoundingClientRect().height)));
      expect(tallest).toBeGreaterThan(50);
      const dayBars = await page.locator('svg.chart path.day').evaluateAll((paths) => paths.map((p) => p.getBoundingClientRect().height));
      expect(dayBars.length).toBeGreaterThan(0);
      expect(Math.max(...dayBars)).toBeGreaterThan(10);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  });

  it('counts what a page tries to fetch (the check above can fail)', async () => {
    const { requests, close } = await openHtml(
      browser,
      '<!DOCTYPE html><img src="https://example.invalid/x.png"><link rel="stylesheet" href="style.css">',
    );
    try {
      expect(requests.length).toBeGreaterThanOrEqual(2);
    } finally {
      await close();
    }
  });

  it('draws the backlog age and the reconcile counts', async () => {
    const input: HtmlReportInput = {
      title: 'Reconcile and backlog',
      backlog: [
        {
          source: SRC,
          destination: DST,
          pending: 3,
          oldestPendingSeconds: 1800,
          pendingAgeSeconds: { p50: 300, p90: 1800 },
          pendingBytes: 1050,
        },
      ],
      slo: { objectiveSeconds: 900, pairs: [] },
      reconcile: {
        pairs: [
          {
            source: SRC,
            destination: DST,
            sourceVersions: 12,
            replicated: 9,
            sizeMismatch: 1,
            failed: 1,
            pending: 0,
            overdue: 0,
            notReplicated: 1,
            completedButMissing: 0,
            orphanReplicas: 2,
            destinationOnly: 0,
            deleteMarkers: { source: 2, replicated: 1, missing: 1 },
          },
        ],
        inventories: [{ bucket: SRC, createdAt: '2026-11-20T00:00:00.000Z', format: 'CSV', files: 1, rows: 14 }],
      },
    };
    const { page, requests, close } = await openHtml(browser, renderHtml(input));
    try {
      expect(await page.locator('h3').allInnerTexts()).toEqual(['Backlog age', 'Reconcile (inventories)']);
      const backlog = page.locator('svg.chart');
      expect(await backlog.count()).toBe(1);
      expect((await backlog.boundingBox())!.width).toBeGreaterThan(300);
      expect(await page.locator('svg.chart text.value').allTextContents()).toEqual(['30 min', '30 min', '5 min']);
      const counts = await page.locator('table').filter({ hasText: 'Reconcile counts' }).locator('tbody tr').allInnerTexts();
      expect(counts.map((r) => r.split('\t').map((c) => c.trim()))).toContainEqual(['orphanReplicas', '2']);
      expect(counts.map((r) => r.split('\t').map((c) => c.trim()))).toContainEqual(['deleteMarkers.missing', '1']);
      expect(await page.locator('table').filter({ hasText: 'Inventories read' }).innerText()).toContain('14');
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('a large report', () => {
  it('stays under 2 MB, stating what it leaves out', () => {
    const pairs = 600;
    const days = 365;
    // The worst key: S3's 1,024 bytes, every character one that escapes to five or six.
    const key = (i: number) => `${i}<script>`.padEnd(1024, '"&<');
    const report: ReplicationReport = {
      asOf: '2026-11-21T00:00:00.000Z',
      pairs: Array.from({ length: pairs }, (_, p) => ({
        source: `src-${String(p).padStart(4, '0')}`,
        destination: 'dst',
        completed: 1e6,
        completedWithoutSource: 0,
        failed: 1000,
        metadataFailed: 12,
        deleteMarkersFailed: 3,
        sourceDeleted: 2,
        pending: 10,
        overdue: 200,
        bytes: 2 ** 40,
        latencySeconds: { p50: 5, p90: 30, p99: 600, max: 7200 },
      })),
      failures: Array.from({ length: 200_000 }, (_, i) => ({
        source: `src-${String(i % pairs).padStart(4, '0')}`,
        destination: 'dst',
        key: key(i),
        versionId: `v${i}`,
        reason: `Reason${Math.floor(i / pairs) % 40}`,
        class: 'data' as const,
      })),
      overdue: Array.from({ length: 100_000 }, (_, i) => ({
        source: `src-${String(i % pairs).padStart(4, '0')}`,
        destination: 'dst',
        key: key(i),
        versionId: `v${i}`,
        pendingSeconds: 1000 + i,
      })),
      unattributed: 0,
      rejected: 0,
      ignored: 0,
      slo: {
        objectiveSeconds: 900,
        pairs: Array.from({ length: pairs }, (_, p): SloPair => {
          const figures = { versions: 1000, withinObjective: 999, missedObjective: 1, percentWithin: 99.9, worstSeconds: 7200 };
          const day = (d: number) => new Date(Date.UTC(2025, 10, 21) + d * 86_400_000).toISOString().slice(0, 10);
          return {
            source: `src-${String(p).padStart(4, '0')}`,
            destination: 'dst',
            ...figures,
            days: Array.from({ length: days }, (_, d) => ({ day: day(d), ...figures, percentWithin: d % 7 === 0 ? 100 : 99.9 })),
          };
        }),
      },
    };
    const latencyHistogram = new Map(
      report.pairs.map((p) => [`${p.source}>${p.destination}`, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]]),
    );
    const html = renderHtml({ title: 'large', replication: report, latencyHistogram });
    const size = Buffer.byteLength(html);
    expect(size).toBeLessThan(2 * 1024 * 1024);
    expect(html).toContain(`… and ${pairs - HTML_LIMITS.pairSections} more pairs in the table above only`);
    expect(html).toContain(`… and ${40 - HTML_LIMITS.failureReasons} more reasons`);
    expect(html).toContain(`${days - HTML_LIMITS.dayRows} more days are in the chart and the JSON`);
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/(?:&quot;|&amp;|&lt;){100,110}…/); // keys are cut to 120 characters, not left out
  });
});
