/**
 * `crr-monitor reconcile` through the real binary, over inventories written as S3 lays them out (CSV.gz and
 * Parquet, real MD5s): a source with two destinations, a bi-directional pair, versions newer than the snapshots,
 * every kind of drift — each count exact, the Batch Operations manifest exact — and bad inventories refused by name
 * with nothing reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchChromium, openHtml } from '../../support/browser';
import { runCli } from '../../support/run-cli';
import { writeInventory, type InventoryRow, type WrittenInventory } from '../../support/inventory';

const T = Date.parse('2026-11-20T00:00:00Z');
const MIN = 60_000;
const OLD = T - 3 * 24 * 60 * MIN;

const v = (key: string, versionId: string, status: string, extra: Partial<InventoryRow> = {}): InventoryRow => ({
  key,
  versionId,
  status,
  lastModified: OLD,
  size: 10,
  ...extra,
});
const marker = (key: string, versionId: string, status: string): InventoryRow => ({
  key,
  versionId,
  status,
  lastModified: OLD,
  deleteMarker: true,
});

// src-a replicates to dst-b (snapshot at T) and dst-c (snapshot two hours later).
const SRC_A: InventoryRow[] = [
  v('photos/a b+c%.jpg', 'A1', 'COMPLETED'),
  v('doc/ünï.txt', 'A2', 'COMPLETED', { size: 5 }),
  v('fail/ä b+c.bin', 'A3', 'FAILED'),
  v('fail-partial.bin', 'A4', 'FAILED'), // FAILED to dst-b, arrived in dst-c
  v('nostatus.txt', 'A5', ''),
  v('stuck.txt', 'A6', 'PENDING'),
  v('new.txt', 'A7', 'PENDING', { lastModified: T - 5 * MIN }), // after dst-b's snapshot − 15 min
  v('new-done.txt', 'A8', 'COMPLETED', { lastModified: T - 10 * MIN }),
  v('gone.txt', 'A9', 'COMPLETED'), // deleted from dst-b
  v('legacy.txt', '', 'COMPLETED'), // a null version (Batch Replication)
  v('from-elsewhere.txt', 'R1', 'REPLICA'), // a replica held in src-a: never a source version
  marker('photos/a b+c%.jpg', 'D1', ''),
  marker('lifecycle.txt', 'D2', ''),
];
const DST_B: InventoryRow[] = [
  v('photos/a b+c%.jpg', 'A1', 'REPLICA'),
  v('doc/ünï.txt', 'A2', 'REPLICA', { size: 6 }),
  v('legacy.txt', '', 'REPLICA'),
  marker('photos/a b+c%.jpg', 'D1', 'REPLICA'),
  v('deleted-at-source.txt', 'O1', 'REPLICA'),
  v('late-replica.txt', 'O2', 'REPLICA', { lastModified: T - MIN }), // newer than src-a's snapshot − 15 min
  v('direct.txt', 'X1', ''),
  marker('direct-dm.txt', 'X2', ''),
];
const DST_C: InventoryRow[] = [
  v('photos/a b+c%.jpg', 'A1', 'REPLICA'),
  v('fail-partial.bin', 'A4', 'REPLICA'),
  v('gone.txt', 'A9', 'REPLICA'),
  v('legacy.txt', '', 'REPLICA'),
  v('direct c.txt', 'Y1', ''),
  v('o-new.txt', 'Y2', 'REPLICA', { lastModified: T + 60 * MIN }), // newer than src-a's snapshot
];
// bi-east ↔ bi-west.
const EAST: InventoryRow[] = [
  v('e1', 'E1', 'COMPLETED', { size: 1 }),
  v('w1', 'W1', 'REPLICA', { size: 2 }),
  v('e2', 'E2', 'FAILED'),
  v('w-orphan', 'W9', 'REPLICA'),
];
const WEST: InventoryRow[] = [
  v('e1', 'E1', 'REPLICA', { size: 1 }),
  v('w1', 'W1', 'COMPLETED', { size: 2 }),
  v('w2', 'W2', 'PENDING'),
  marker('w3', 'WM', 'COMPLETED'),
];

const zero = {
  sourceVersions: 0,
  replicated: 0,
  sizeMismatch: 0,
  failed: 0,
  pending: 0,
  overdue: 0,
  notReplicated: 0,
  completedButMissing: 0,
};
const EXPECTED_PAIRS = [
  {
    source: 'src-a',
    destination: 'dst-b',
    sourceVersions: 10,
    replicated: 2,
    sizeMismatch: 1,
    failed: 2,
    pending: 2,
    overdue: 1,
    notReplicated: 1,
    completedButMissing: 1,
    orphanReplicas: 1,
    destinationOnly: 1,
    deleteMarkers: { source: 2, replicated: 1, missing: 1 },
  },
  {
    source: 'src-a',
    destination: 'dst-c',
    sourceVersions: 10,
    replicated: 4,
    sizeMismatch: 0,
    failed: 1,
    pending: 0, // dst-c's snapshot is later: new.txt is overdue there, new-done.txt missing
    overdue: 2,
    notReplicated: 1,
    completedButMissing: 2,
    orphanReplicas: 0,
    destinationOnly: 1,
    deleteMarkers: { source: 2, replicated: 0, missing: 2 },
  },
  {
    source: 'bi-east',
    destination: 'bi-west',
    ...zero,
    sourceVersions: 2,
    replicated: 1,
    failed: 1,
    orphanReplicas: 0,
    destinationOnly: 0, // bi-west's own versions are a source's, not destination-only
    deleteMarkers: { source: 0, replicated: 0, missing: 0 },
  },
  {
    source: 'bi-west',
    destination: 'bi-east',
    ...zero,
    sourceVersions: 2,
    replicated: 1,
    overdue: 1,
    orphanReplicas: 1,
    destinationOnly: 0,
    deleteMarkers: { source: 1, replicated: 0, missing: 1 },
  },
];

const PAIRS = ['--pair', 'src-a=dst-b', '--pair', 'src-a=dst-c', '--pair', 'bi-east=bi-west', '--pair', 'bi-west=bi-east'];

let root: string;
const inv: Record<string, WrittenInventory> = {};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-test-'));
  inv['src-a'] = await writeInventory({ root, bucket: 'src-a', format: 'CSV', createdAt: T, rows: SRC_A, files: 2 });
  inv['dst-b'] = await writeInventory({ root, bucket: 'dst-b', format: 'Parquet', createdAt: T, rows: DST_B, files: 2 });
  inv['dst-c'] = await writeInventory({
    root,
    bucket: 'dst-c',
    format: 'CSV',
    createdAt: T + 120 * MIN,
    rows: DST_C,
    prefix: 'reports/daily',
  });
  inv['bi-east'] = await writeInventory({ root, bucket: 'bi-east', format: 'Parquet', createdAt: T, rows: EAST });
  inv['bi-west'] = await writeInventory({ root, bucket: 'bi-west', format: 'CSV', createdAt: T, rows: WEST });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const inventoryArgs = (buckets = Object.keys(inv)) => buckets.flatMap((b) => ['--inventory', inv[b].manifest]);

describe('crr-monitor reconcile', () => {
  it('counts every version of every pair exactly (CSV and Parquet, multi-destination, bi-directional)', async () => {
    const result = await runCli(['reconcile', ...PAIRS, ...inventoryArgs(), '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.pairs).toEqual(EXPECTED_PAIRS);
    expect(report.inventories).toEqual([
      { bucket: 'src-a', createdAt: '2026-11-20T00:00:00.000Z', format: 'CSV', files: 2, rows: SRC_A.length },
      { bucket: 'dst-b', createdAt: '2026-11-20T00:00:00.000Z', format: 'Parquet', files: 2, rows: DST_B.length },
      { bucket: 'dst-c', createdAt: '2026-11-20T02:00:00.000Z', format: 'CSV', files: 1, rows: DST_C.length },
      { bucket: 'bi-east', createdAt: '2026-11-20T00:00:00.000Z', format: 'Parquet', files: 1, rows: EAST.length },
      { bucket: 'bi-west', createdAt: '2026-11-20T00:00:00.000Z', format: 'CSV', files: 1, rows: WEST.length },
    ]);
  });

  it('renders the counts as one HTML page, as Chromium shows it, fetching nothing', async () => {
    const result = await runCli(['reconcile', ...PAIRS, ...inventoryArgs(), '--format', 'html']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const browser = await launchChromium();
    try {
      const { page, requests, close } = await openHtml(browser, result.stdout);
      expect(await page.locator('h1').innerText()).toBe('S3 replication reconcile');
      // One section per pair, each with its reconcile table: the counts a person reads are the JSON's.
      expect(await page.locator('section.pair').count()).toBe(EXPECTED_PAIRS.length);
      const table = page.locator('table', { has: page.locator('caption', { hasText: 'Reconcile counts, src-a → dst-b' }) });
      const rows = await table.locator('tbody tr').allInnerTexts();
      const cells = Object.fromEntries(rows.map((r) => r.split('\t').map((c) => c.trim())));
      expect(cells).toMatchObject({ sourceVersions: '10', sizeMismatch: '1', completedButMissing: '1', 'deleteMarkers.missing': '1' });
      expect(await page.locator('caption').allInnerTexts()).toContain('Inventories read');
      expect(requests).toEqual([]);
      await close();
    } finally {
      await browser.close();
    }
  });

  it('writes the Batch Operations manifest of exactly the failed, overdue and completed-but-missing versions', async () => {
    const file = path.join(root, 'redrive.csv');
    const result = await runCli([
      'reconcile',
      '--pair',
      'src-a=dst-b',
      ...inventoryArgs(['src-a', 'dst-b']),
      '--manifest',
      file,
      '--format',
      'json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).pairs).toEqual([EXPECTED_PAIRS[0]]);
    expect(result.stderr).toContain(`Manifest ${file}: 4 version(s) of src-a`);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      ['src-a,fail-partial.bin,A4', 'src-a,fail%2F%C3%A4%20b%2Bc.bin,A3', 'src-a,gone.txt,A9', 'src-a,stuck.txt,A6', ''].join('\n'),
    );
    expect(fs.readdirSync(root).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('takes the overdue threshold from --overdue-minutes', async () => {
    // With 7 minutes, new-done.txt (10 minutes before dst-b's snapshot) is no longer pending; new.txt (5) still is.
    const result = await runCli([
      'reconcile',
      '--pair',
      'src-a=dst-b',
      ...inventoryArgs(['src-a', 'dst-b']),
      '--overdue-minutes',
      '7',
      '--format',
      'json',
    ]);
    expect(JSON.parse(result.stdout).pairs[0]).toMatchObject({ pending: 1, overdue: 1, completedButMissing: 2 });
  });

  it('prints a table with the counts and a few examples of each kind', async () => {
    const result = await runCli(['reconcile', ...PAIRS, ...inventoryArgs(), '--examples', '1']);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('src-a → dst-b: 10 source versions, 2 delete markers');
    expect(out).toMatch(/^ {2}failed +2 +FAILED, not in the destination +"fail-partial\.bin" A4, …$/m);
    expect(out).toMatch(/^ {2}sizeMismatch +1 +in the destination, another size +"doc\/ünï\.txt" A2$/m);
    expect(out).toMatch(/^ {2}orphanReplicas +1 .*"w-orphan" W9$/m);
    expect(out).toMatch(/^dst-c +2026-11-20T02:00:00\.000Z +CSV +1 +6$/m);
  });

  it('reads the pairs from --config', async () => {
    const config = path.join(root, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        monitorRegion: 'us-east-1',
        regions: ['us-east-1'],
        replication: [{ source: 'src-a', destinations: ['dst-c'] }],
        overdueMinutes: 15,
      }),
    );
    const result = await runCli(['reconcile', '--config', config, ...inventoryArgs(), '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).pairs).toEqual([EXPECTED_PAIRS[1]]);
  });
});

describe('crr-monitor reconcile refuses bad inventories by name, reporting nothing', () => {
  const copies: string[] = [];
  afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const copy = async (mutate: (dir: string) => void) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-bad-'));
    copies.push(dir);
    fs.cpSync(root, dir, { recursive: true });
    mutate(dir);
    return (bucket: string) => inv[bucket].manifest.replace(root, dir);
  };

  it('a corrupt data file (MD5)', async () => {
    const at = await copy((dir) => {
      const file = inv['dst-b'].dataFiles[1].replace(root, dir);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      fs.writeFileSync(file, bytes);
    });
    const manifestFile = path.join(root, 'never.csv');
    const result = await runCli([
      'reconcile',
      '--pair',
      'src-a=dst-b',
      '--inventory',
      at('src-a'),
      '--inventory',
      at('dst-b'),
      '--manifest',
      manifestFile,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('data file inventory/dst-b/all-versions/data/dst-b-1.parquet');
    expect(result.stderr).toContain('MD5');
    expect(fs.existsSync(manifestFile)).toBe(false);
  });

  it('a missing data file', async () => {
    const at = await copy((dir) => fs.rmSync(inv['src-a'].dataFiles[0].replace(root, dir)));
    const result = await runCli(['reconcile', '--pair', 'src-a=dst-b', '--inventory', at('src-a'), '--inventory', at('dst-b')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('data file inventory/src-a/all-versions/data/src-a-0.csv.gz not found');
  });

  it('a truncated data file', async () => {
    const at = await copy((dir) => fs.truncateSync(inv['dst-c'].dataFiles[0].replace(root, dir), 10));
    const result = await runCli(['reconcile', '--pair', 'src-a=dst-c', '--inventory', at('src-a'), '--inventory', at('dst-c')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /data file reports\/daily\/dst-c\/all-versions\/data\/dst-c-0\.csv\.gz .*: 10 bytes, the manifest says \d+/,
    );
  });

  it('a schema without the fields reconcile needs, saying which to enable', async () => {
    const bad = await writeInventory({
      root: path.join(root, 'noschema'),
      bucket: 'dst-b',
      format: 'CSV',
      createdAt: T,
      rows: DST_B,
      // The field list of a current-versions inventory without optional fields (real shape: see the fixtures README).
      fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag',
    });
    const result = await runCli(['reconcile', '--pair', 'src-a=dst-b', '--inventory', inv['src-a'].manifest, '--inventory', bad.manifest]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('fileSchema lacks VersionId, IsDeleteMarker, ReplicationStatus');
    expect(result.stderr).toContain('All versions');
    expect(result.stderr).toContain('Replication status (ReplicationStatus)');
  });

  it('an ORC inventory, with a clear message', async () => {
    const at = await copy((dir) => {
      const m = inv['dst-b'].manifest.replace(root, dir);
      fs.writeFileSync(m, fs.readFileSync(m, 'utf8').replace('"Parquet"', '"ORC"'));
    });
    const result = await runCli(['reconcile', '--pair', 'src-a=dst-b', '--inventory', inv['src-a'].manifest, '--inventory', at('dst-b')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ORC inventories are not read offline');
  });

  it('a pair whose bucket has no inventory, and two inventories of one bucket', async () => {
    const none = await runCli(['reconcile', '--pair', 'src-a=dst-b', '--inventory', inv['src-a'].manifest]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no inventory of bucket dst-b');
    const twice = await runCli(['reconcile', '--pair', 'src-a=dst-b', ...inventoryArgs(['src-a', 'src-a', 'dst-b'])]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('two inventories of bucket src-a');
  });

  it('a key that is not valid URL encoding, naming the data file', async () => {
    const bad = await writeInventory({ root: path.join(root, 'badkey'), bucket: 'dst-b', format: 'CSV', createdAt: T, rows: DST_B });
    const file = bad.dataFiles[0];
    const zlib = await import('node:zlib');
    const text = zlib.gunzipSync(fs.readFileSync(file)).toString().replace('direct.txt', 'direct%FF.txt');
    fs.writeFileSync(file, zlib.gzipSync(text));
    const manifest = JSON.parse(fs.readFileSync(bad.manifest, 'utf8'));
    const { createHash } = await import('node:crypto');
    const bytes = fs.readFileSync(file);
    manifest.files[0] = { ...manifest.files[0], size: bytes.length, MD5checksum: createHash('md5').update(bytes).digest('hex') };
    fs.writeFileSync(bad.manifest, JSON.stringify(manifest));
    const result = await runCli(['reconcile', '--pair', 'src-a=dst-b', '--inventory', inv['src-a'].manifest, '--inventory', bad.manifest]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('data file inventory/dst-b/all-versions/data/dst-b-0.csv.gz');
    expect(result.stderr).toContain('not a readable CSV inventory');
  });
});

describe('crr-monitor reconcile usage', () => {
  it('refuses mistakes with exit 2, parsing --pair as every command does (bin/support/options.ts)', async () => {
    const cases: [string[], string][] = [
      [['reconcile', '--inventory', 'm.json'], 'reconcile needs --pair SRC=DST or --config FILE'],
      [['reconcile', '--pair', 'src-a=dst-b'], 'reconcile needs --inventory MANIFEST'],
      [['reconcile', '--pair', 'src-a=src-a', '--inventory', 'm.json'], '--pair src-a=src-a: a bucket cannot replicate to itself'],
      [['reconcile', '--pair', 'Src=dst', '--inventory', 'm.json'], "--pair Src=dst: 'Src' is not a valid S3 bucket name"],
      [['reconcile', '--pair', 'a-b', '--inventory', 'm.json'], '--pair a-b: expected SOURCE=DESTINATION bucket names'],
      [['reconcile', ...PAIRS, '--inventory', 'm.json', '--manifest', 'x.csv'], '--manifest lists the versions of one pair'],
      [['reconcile', '--pair', 'src-a=dst-b', '--inventory', 'm.json', '--engine', 'spark'], '--engine spark: expected duckdb'],
      [['reconcile', '--pair', 'src-a=dst-b', '--inventory', 'm.json', '--overdue-minutes', '0'], '--overdue-minutes 0'],
      [['reconcile', '--pair', 'src-a=dst-b', '--inventory', 'm.json', '--format', 'xml'], '--format xml'],
      [['reconcile', '--pair', 'src-a=dst-b', 'm.json'], 'reconcile takes no arguments'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });
});
