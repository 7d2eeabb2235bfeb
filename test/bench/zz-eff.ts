import { Worker } from 'node:worker_threads';
const code = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const buf = fs.readFileSync('/tmp/s3t/small.jsonl');
parentPort.once('message', () => {
  const t = process.hrtime.bigint();
  let st = 0; const end0 = buf.lastIndexOf(10);
  for (let e = buf.indexOf(10, st); e >= 0 && e <= end0; e = buf.indexOf(10, st)) { JSON.parse(buf.toString('utf8', st, e)); st = e + 1; }
  parentPort.postMessage(Number(process.hrtime.bigint() - t) / 1e6);
});
parentPort.postMessage('ready');
`;
async function run(n: number) {
  const ws = Array.from({ length: n }, () => new Worker(code, { eval: true }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  const c = process.cpuUsage(); const s = Date.now();
  const times = await Promise.all(ws.map((w) => new Promise<number>((r) => { w.once('message', r); w.postMessage('go'); })));
  const cu = process.cpuUsage(c);
  await Promise.all(ws.map((w) => w.terminate()));
  return `${n} workers: wall ${Date.now() - s} ms, per-worker ${times.map(Math.round).join('/')}, cpu ${Math.round((cu.user + cu.system) / 1000)} ms (per 100MB: ${Math.round((cu.user + cu.system) / 1000 / n)})`;
}
(async () => { for (let i = 0; i < 3; i++) { console.log(await run(1)); console.log(await run(2)); } })();
