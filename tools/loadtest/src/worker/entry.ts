/**
 * Child-process entry of a load worker (forked by the coordinator with the
 * tsx loader). Wires process IPC to a LoadAgent; leaves when told to close or
 * when the parent goes away.
 */
import type { FromWorker, ToWorker } from '../ipc';
import { LoadAgent } from './agent';

if (!process.send) {
  process.stderr.write('loadtest worker: must be started by the coordinator (no IPC channel)\n');
  process.exit(2);
}

const agent = new LoadAgent((m: FromWorker) => {
  if (!process.connected) return;
  const last = m.type === 'closed' || m.type === 'fatal';
  // After the last message is flushed, drop the channel so the process can exit on its own.
  process.send!(m, undefined, {}, () => {
    if (last && process.connected) process.disconnect();
  });
});

process.on('message', (m: ToWorker) => agent.handle(m));
process.on('disconnect', () => agent.close());
