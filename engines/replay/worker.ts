/**
 * A replay worker thread (started by engines/replay/pool.ts): parses the tasks it is given, routes each slot change
 * to the worker that owns its version (engines/replay/partition.ts; in the compact form of engines/replay/compact.ts)
 * and merges the changes it owns into its own
 * tracker. At the end it reports its versions' latest time (and their pairs, when none are configured), then
 * evaluates its versions into a report part that the coordinator merges.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { VersionTracker } from '../../lambda/core';
import { forEachChange, pushChange, type CompactChanges } from './compact';
import type { InputLimits } from './inputs';
import { ownerOf } from './partition';
import { shareReport, summarizeShare } from './shares';
import { TaskRunner } from './tasks';
import type { FromWorker, PeerMessage, ToWorker, WorkerSetup } from './pool';

const setup = workerData as WorkerSetup;
const { index, workers } = setup;
const peers = setup.peers as (MessagePort | null)[];
const tracker = new VersionTracker();
const outboxes: CompactChanges[] = peers.map(() => []);

const runner = new TaskRunner((change) => {
  const owner = ownerOf(change.key, change.versionId, workers);
  if (owner === index) tracker.applyChange(change);
  else pushChange(outboxes[owner], change);
}, setup.limits as InputLimits);

const send = (message: FromWorker) => parentPort!.postMessage(message);

function flushOutboxes(): void {
  for (let peer = 0; peer < workers; peer++) {
    if (outboxes[peer].length === 0) continue;
    peers[peer]!.postMessage({ kind: 'changes', changes: JSON.stringify(outboxes[peer]) } satisfies PeerMessage);
    outboxes[peer] = [];
  }
}

let ending: { inferPairs: boolean } | undefined;
/** Tasks run one after the other: one document at most is held (inflated) per worker. */
let queue: Promise<void> = Promise.resolve();
let peersDone = 0;

function maybeMerged(): void {
  if (!ending || peersDone < workers - 1) return;
  send({ kind: 'merged', summary: summarizeShare(() => tracker.records(), tracker.size, ending.inferPairs) });
}

for (const port of peers) {
  port?.on('message', (message: PeerMessage) => {
    if (message.kind === 'changes') forEachChange(message.changes, (change) => tracker.applyChange(change));
    else {
      peersDone++;
      maybeMerged();
    }
  });
}

parentPort!.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'task': {
      const { task } = message;
      queue = queue
        .then(() => runner.run(task))
        .then(
          (result) => {
            flushOutboxes();
            send({ kind: 'result', result });
          },
          (error: unknown) => send({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
        );
      break;
    }
    case 'end':
      flushOutboxes();
      for (const port of peers) port?.postMessage({ kind: 'eos' } satisfies PeerMessage);
      ending = { inferPairs: message.inferPairs };
      maybeMerged();
      break;
    case 'report': {
      send({ kind: 'part', part: shareReport(tracker.records(), message.terms, message.overdueMillis, message.objectiveSeconds) });
      for (const port of peers) port?.close();
      break;
    }
  }
});
