/**
 * `crr-monitor reconcile --engine athena` through the real binary, against a loopback endpoint (AWS_ENDPOINT_URL)
 * that answers S3 GetObject (the manifests, path style) and Athena's JSON 1.1 API, whose queries run on DuckDB over
 * the reports as S3 writes them (test/support/athena-duckdb.ts): the same counts as the embedded engine's, the manifest
 * exact, every request in the workgroup and database given; usage errors named.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { A, B, C, DuckDbAthena, writeReport } from '../../support/athena-duckdb';
import { runCli } from '../../support/run-cli';

let c: DuckDBConnection;
let root: string;
let server: http.Server;
let endpoint: string;
const athenaRequests: { op: string; input: Record<string, unknown> }[] = [];

beforeAll(async () => {
  c = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
  await c.run("SET TimeZone = 'UTC'");
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-athena-cli-'));
  await writeReport(c, root, 'photos-a', 'CSV', A);
  await writeReport(c, root, 'photos-b', 'Parquet', B);
  await writeReport(c, root, 'photos-c', 'CSV', C);
  const athena = new DuckDbAthena(c, root);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, type: string, text: string) => res.writeHead(status, { 'content-type': type }).end(text);
      if (target.startsWith('AmazonAthena.')) {
        const op = target.slice('AmazonAthena.'.length);
        const input = JSON.parse(body || '{}') as Record<string, unknown>;
        athenaRequests.push({ op, input });
        athena.operation(op, input).then(
          (out) => reply(200, 'application/x-amz-json-1.1', JSON.stringify(out)),
          (error: Error) =>
            reply(400, 'application/x-amz-json-1.1', JSON.stringify({ __type: 'InvalidRequestException', Message: error.message })),
        );
        return;
      }
      // S3, path style: /inventories/<key>
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [, bucket, ...rest] = decodeURIComponent(url.pathname).split('/');
      const file = path.join(root, rest.join('/'));
      if (req.method === 'GET' && bucket === 'inventories' && fs.existsSync(file))
        reply(200, 'application/json', fs.readFileSync(file, 'utf8'));
      else
        reply(
          404,
          'application/xml',
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  c.closeSync();
  fs.rmSync(root, { recursive: true, force: true });
});

const env = () => ({
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: endpoint,
  AWS_S3_FORCE_PATH_STYLE: 'true',
});
const manifest = (bucket: string) => `s3://inventories/inv/${bucket}/all-versions/2026-11-20T12-00Z/manifest.json`;
const ATHENA = ['--engine', 'athena', '--workgroup', 'crr-wg', '--database', 'crr_db', '--output', 's3://inventories/athena-results/'];

describe('crr-monitor reconcile --engine athena (binary)', () => {
  it('counts every pair on Athena: a multi-destination source, a bi-directional pair, CSV and Parquet', async () => {
    athenaRequests.length = 0;
    const pairs = ['--pair', 'photos-a=photos-b', '--pair', 'photos-a=photos-c', '--pair', 'photos-b=photos-a'];
    const inventories = ['photos-a', 'photos-b', 'photos-c'].flatMap((b) => ['--inventory', manifest(b)]);
    const result = await runCli(['reconcile', ...pairs, ...inventories, ...ATHENA, '--format', 'json'], { env: env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(
      report.pairs.map((p: Record<string, unknown>) => [p.source, p.destination, p.sourceVersions, p.replicated, p.sizeMismatch]),
    ).toEqual([
      ['photos-a', 'photos-b', 8, 3, 0],
      ['photos-a', 'photos-c', 8, 3, 1],
      ['photos-b', 'photos-a', 3, 1, 0],
    ]);
    expect(report.pairs[0]).toMatchObject({
      failed: 1,
      pending: 1,
      overdue: 1,
      notReplicated: 1,
      completedButMissing: 1,
      orphanReplicas: 1,
    });
    expect(report.pairs[1]).toMatchObject({
      completedButMissing: 0,
      destinationOnly: 1,
      deleteMarkers: { source: 1, replicated: 0, missing: 1 },
    });
    expect(report.inventories).toEqual([
      { bucket: 'photos-a', createdAt: '2026-11-20T12:00:00.000Z', format: 'CSV', files: 1, rows: A.length },
      { bucket: 'photos-b', createdAt: '2026-11-20T12:00:00.000Z', format: 'Parquet', files: 1, rows: B.length },
      { bucket: 'photos-c', createdAt: '2026-11-20T12:00:00.000Z', format: 'CSV', files: 1, rows: C.length },
    ]);
    const starts = athenaRequests.filter((r) => r.op === 'StartQueryExecution').map((r) => r.input);
    expect(starts.length).toBe(3 + 2); // three tables, the counts, the rows
    for (const s of starts) {
      expect(s).toMatchObject({
        WorkGroup: 'crr-wg',
        QueryExecutionContext: { Database: 'crr_db' },
        ResultConfiguration: { OutputLocation: 's3://inventories/athena-results/' },
      });
    }
  }, 60_000);

  it('writes the Batch Operations manifest of one pair', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-athena-manifest-'));
    try {
      const file = path.join(out, 'redrive.csv');
      const args = ['reconcile', '--pair', 'photos-a=photos-b', '--inventory', manifest('photos-a'), '--inventory', manifest('photos-b')];
      const result = await runCli([...args, ...ATHENA, '--manifest', file], { env: env() });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toBe('photos-a,fail,v3\nphotos-a,gone,v7\nphotos-a,stuck,v6\n');
      expect(result.stdout).toContain('3 version(s) of photos-a to replicate again');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses, naming the problem: missing options, options of the other engine, local manifests', async () => {
    const base = ['reconcile', '--pair', 'photos-a=photos-b', '--inventory', manifest('photos-a'), '--inventory', manifest('photos-b')];
    const missing = await runCli([...base, '--engine', 'athena', '--workgroup', 'w'], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--engine athena needs --database, --output');
    const other = await runCli([...base, ...ATHENA, '--memory-limit', '1GB'], { env: env() });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--memory-limit applies to --engine duckdb only');
    const stray = await runCli([...base, '--workgroup', 'w'], { env: env() });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--workgroup applies to --engine athena only');
    const output = await runCli([...base, ...ATHENA.slice(0, -1), 'inventories/x'], { env: env() });
    expect(output.code).toBe(2);
    expect(output.stderr).toContain('--output inventories/x: expected an s3://bucket/prefix/');
    const local = path.join(root, 'inv/photos-a/all-versions/2026-11-20T12-00Z/manifest.json');
    const refused = await runCli(
      ['reconcile', '--pair', 'photos-a=photos-b', '--inventory', local, '--inventory', manifest('photos-b'), ...ATHENA],
      {
        env: env(),
      },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the athena engine reads inventories where S3 wrote them; give s3://bucket/…/manifest.json');
    const absent = await runCli(
      ['reconcile', '--pair', 'photos-a=photos-b', '--inventory', manifest('photos-z'), '--inventory', manifest('photos-b'), ...ATHENA],
      {
        env: env(),
      },
    );
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain(`--inventory ${manifest('photos-z')}: cannot read it`);
  }, 60_000);
});
