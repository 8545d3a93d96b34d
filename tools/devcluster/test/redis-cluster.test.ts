import { execFileSync } from 'node:child_process';
import { startRedisCluster } from '../src';

jest.setTimeout(60_000);

describe('startRedisCluster', () => {
  it('starts 3 masters that agree on cluster_state:ok and stops exactly them', async () => {
    const rc = await startRedisCluster({ masters: 3 });
    try {
      expect(rc.nodes).toHaveLength(3);
      for (const node of rc.nodes) {
        const [host, port] = node.split(':') as [string, string];
        const info = execFileSync('redis-cli', ['-h', host, '-p', port, 'cluster', 'info'], { encoding: 'utf8' });
        expect(info).toContain('cluster_state:ok');
        expect(info).toContain('cluster_known_nodes:3');
      }
    } finally {
      await rc.stop();
    }
    for (const pid of rc.pids) expect(() => process.kill(pid, 0)).toThrow();
    await rc.stop();
  });
});
