/**
 * `crr-monitor local --serve` through the real binary: after its run the table stays reachable at the printed
 * endpoint (with AWS_ENDPOINT_URL, as `status` and `redrive` will use it), and SIGTERM stops it all, exit 0.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { connect } from 'node:net';
import { runCli, spawnCli } from '../../support/run-cli';

const SERVING = /^serving endpoint=(\S+) table=(\S+) region=(\S+) sqs=(\S+) sns=(\S+)$/m;

/** Whether something accepts connections on the URL's port. */
const listening = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

test('local --serve keeps the table up at the printed endpoint until SIGTERM, then stops the emulators and exits 0', async () => {
  const child = spawnCli(['local', '--objects', '40', '--workers', '2', '--quiet', '--serve', '--format', 'json']);
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const found = SERVING.exec(stderr);
      if (found) resolve(found);
    });
    void closed.then(({ code }) => reject(new Error(`exited (${code}) before serving: ${stderr}`)));
  });
  const [, endpoint, table, region, sqs] = match;
  const report = JSON.parse(stdout);
  try {
    expect(region).toBe('us-east-1');
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint;
    try {
      // No endpoint in the code: the SDK takes it from AWS_ENDPOINT_URL, as an operator's shell would give it.
      const client = new DynamoDBClient({ region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const scan = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT' }));
      expect(report.pairs).toHaveLength(4); // the report was printed before serving
      expect(scan.Count).toBe(41); // one item per source version, and the sweep's cursor
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
    expect(await listening(sqs)).toBe(true);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await closed).toEqual({ code: 0, signal: null });
  expect(await listening(endpoint)).toBe(false);
  expect(await listening(sqs)).toBe(false);
});

test('local --help names --serve, and local rejects a value given to it', async () => {
  const help = await runCli(['local', '--help']);
  expect(help.stdout).toContain('--serve');
  const bad = await runCli(['local', '--serve=yes']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("Option '--serve' does not take an argument");
});
