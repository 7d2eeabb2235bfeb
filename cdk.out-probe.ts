import { analyzeHandler } from '/work/wt/cdk/test/support/sdk-calls';
for (const e of ['lambda/drain/index.ts', 'lambda/sweep/index.ts', 'lambda/archive/index.ts']) {
  const t0 = Date.now();
  const a = analyzeHandler(e, '/work/wt/cdk');
  console.log(e, Date.now() - t0, 'ms');
  console.log(' files', a.files.length, 'bundled', a.bundled.map((c) => `${c.command}@${c.at}`).join(' '));
  console.log(' reachable', a.reachable.map((c) => `${c.command}@${c.at}`).join(' '));
  console.log(' aggregated', a.aggregatedClients);
}
