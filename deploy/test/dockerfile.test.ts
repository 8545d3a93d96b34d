import path from 'node:path';
import { DEPLOY, IMAGE_ENV, ROOT, exists, readText } from './support/repo';

const DOCKERFILE = path.join(DEPLOY, 'docker/Dockerfile');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The lines of .dockerignore as patterns (comments dropped). */
function ignored(): string[] {
  return readText(path.join(ROOT, '.dockerignore'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

describe('deploy/docker/Dockerfile', () => {
  const ins = instructions(readText(DOCKERFILE));

  it('builds on node:20-bookworm-slim with the pnpm version the repo pins', () => {
    const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0]);
    expect(new Set(froms)).toEqual(new Set(['node:20-bookworm-slim']));
    const pkg = JSON.parse(readText(path.join(ROOT, 'package.json'))) as { packageManager: string };
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes(`corepack prepare ${pkg.packageManager} --activate`))).toBe(true);
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes('pnpm install --frozen-lockfile'))).toBe(true);
  });

  it('copies only files that exist and are not excluded by .dockerignore', () => {
    const patterns = ignored();
    for (const copy of ins.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
      const parts = copy.args.split(' ').filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(exists(path.join(ROOT, src))).toBe(true);
        expect(patterns).not.toContain(src);
      }
    }
    // The workspace install needs every package.json and the sources it runs.
    for (const needed of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'packages', 'services', 'deploy/docker', 'deploy/package.json']) {
      expect(patterns).not.toContain(needed);
    }
  });

  it('runs as a non-root user and starts through start.sh', () => {
    const users = ins.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    const cmd = ins.filter((i) => i.op === 'CMD').at(-1);
    expect(cmd?.args).toBe('["sh", "deploy/docker/start.sh"]');
    expect(exists(path.join(ROOT, 'deploy/docker/start.sh'))).toBe(true);
    const env = ins.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(' ').map((kv) => kv.split('=')[0]));
    for (const name of IMAGE_ENV) expect(env).toContain(name);
  });

  it('start.sh launches entry points that exist', () => {
    const script = readText(path.join(ROOT, 'deploy/docker/start.sh'));
    const entries = [...script.matchAll(/exec node --import tsx (\S+)/g)].map((m) => m[1] as string);
    expect(entries.sort()).toEqual(['services/api/src/main.ts', 'services/socket/src/main.ts']);
    for (const e of entries) {
      if (!exists(path.join(ROOT, e))) throw new Error(`start.sh runs ${e}, which does not exist`);
    }
    expect(exists(path.join(ROOT, 'node_modules/tsx'))).toBe(true);
  });
});
