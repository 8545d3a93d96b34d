import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NODE_FLAGS } from '../node/flags';
import { DEPLOY, IMAGE_ENV, ROOT, exists, readText, run } from './support/repo';

const DOCKERFILE = path.join(DEPLOY, 'docker/Dockerfile');
const START_SH = path.join(DEPLOY, 'docker/start.sh');

// Runs the real build (esbuild, seconds) into a temp folder.
jest.setTimeout(120_000);

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

/** The instructions of each stage, by the stage's name (`FROM x AS name`). */
function stages(ins: Instruction[]): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  for (const i of ins) {
    if (i.op === 'FROM') {
      current = [];
      out.set(/\sAS\s+(\S+)/i.exec(i.args)?.[1] ?? String(out.size), current);
    }
    current.push(i);
  }
  return out;
}

/** The lines of .dockerignore as patterns (comments dropped). */
function ignored(): string[] {
  return readText(path.join(ROOT, '.dockerignore'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** COPY sources and destination, flags dropped. */
function copyArgs(i: Instruction): { flags: string[]; sources: string[]; dest: string } {
  const parts = i.args.split(' ');
  const flags = parts.filter((p) => p.startsWith('--'));
  const rest = parts.filter((p) => !p.startsWith('--'));
  return { flags, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
}

/** The entry points start.sh execs, relative to the image's /app (and to the repository root after `pnpm build`). */
function startEntries(): string[] {
  return [...readText(START_SH).matchAll(/exec node \$NODE_FLAGS (\S+)/g)].map((m) => m[1] as string);
}

function pkgJson(dir: string): {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  packageManager?: string;
} {
  return JSON.parse(readText(path.join(ROOT, dir, 'package.json')));
}

describe('deploy/docker/Dockerfile', () => {
  const ins = instructions(readText(DOCKERFILE));
  const byStage = stages(ins);
  const runtime = byStage.get('runtime') ?? [];

  it('builds on one exact node:20 bookworm-slim tag that satisfies the engines field, with the pnpm version the repo pins', () => {
    const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0] as string);
    expect(froms).toHaveLength(2);
    expect(new Set(froms).size).toBe(1);
    // Pinned: a full version, never a floating `20-bookworm-slim` or `latest`.
    const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/.exec(froms[0]!);
    if (!m) throw new Error(`FROM ${froms[0]} is not an exact node:X.Y.Z-bookworm-slim tag`);
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const engines = /^>=(\d+)\.(\d+)$/.exec(pkgJson('.').engines?.node ?? '');
    expect(major).toBe(Number(engines?.[1]));
    expect(minor).toBeGreaterThanOrEqual(Number(engines?.[2]));
    const pkg = pkgJson('.');
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes(`corepack prepare ${pkg.packageManager} --activate`))).toBe(true);
    const build = byStage.get('build') ?? [];
    expect(build.some((i) => i.op === 'RUN' && i.args.includes('pnpm install --frozen-lockfile'))).toBe(true);
    expect(build.some((i) => i.op === 'RUN' && i.args === 'pnpm build')).toBe(true);
    expect(build.some((i) => i.op === 'RUN' && /pnpm --filter @chat\/image deploy --prod\b/.test(i.args))).toBe(true);
  });

  it('copies only files that exist and are not excluded by .dockerignore', () => {
    const patterns = ignored();
    for (const copy of ins.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
      for (const src of copyArgs(copy).sources) {
        expect(exists(path.join(ROOT, src))).toBe(true);
        expect(patterns).not.toContain(src);
      }
    }
    // The workspace install and the build need every package.json and the sources they bundle.
    for (const needed of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'packages', 'services', 'scripts', 'deploy/docker', 'deploy/package.json']) {
      expect(patterns).not.toContain(needed);
    }
  });

  it('the runtime stage holds the bundles, their run-time packages and start.sh, nothing to build or transpile', () => {
    expect(runtime.some((i) => i.op === 'RUN')).toBe(false);
    const copies = runtime.filter((i) => i.op === 'COPY').map(copyArgs);
    const copied = copies.flatMap((c) => c.sources);
    expect(copied.sort()).toEqual(['/out/node_modules', '/src/dist/api', '/src/dist/socket', '/src/dist/web', 'deploy/docker/start.sh'].sort());
    // No sources, no workspace, no tsx: nothing but what the list above names.
    expect(copied.some((s) => /packages|services|tools|\.ts$|tsx/.test(s))).toBe(false);
    // The dist folders land where start.sh looks for them.
    for (const c of copies.filter((x) => x.sources[0]?.startsWith('/src/dist/'))) expect(c.dest).toBe(`./${c.sources[0]!.slice('/src/'.length)}`);
  });

  it('app files belong to root and the process runs as the unprivileged node user', () => {
    // COPY without --chown leaves files root-owned (read-only to `node`); an earlier --chown=node:node made the app writable by the process.
    for (const i of runtime.filter((x) => x.op === 'COPY' || x.op === 'ADD')) expect(i.args).not.toMatch(/--chown|--chmod/);
    const users = ins.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users).toEqual(['node']);
    expect(runtime.findIndex((i) => i.op === 'USER')).toBeGreaterThan(runtime.findLastIndex((i) => i.op === 'COPY'));
    const cmd = ins.filter((i) => i.op === 'CMD').at(-1);
    expect(cmd?.args).toBe('["sh", "/app/start.sh"]');
    expect(runtime.filter((i) => i.op === 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    expect(copyArgs(runtime.find((i) => i.op === 'COPY' && i.args.includes('start.sh'))!).dest).toBe('./start.sh');
    const env = ins.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(' ').map((kv) => kv.split('=')[0]));
    for (const name of IMAGE_ENV) expect(env).toContain(name);
  });

  it('the image installs exactly the packages the bundles load, at the versions the workspace declares', () => {
    const image = pkgJson('deploy/docker');
    expect(image.devDependencies).toBeUndefined();
    const declared: Record<string, string> = {
      ...pkgJson('packages/store').dependencies,
      ...pkgJson('services/socket').dependencies,
    };
    for (const [name, spec] of Object.entries(image.dependencies ?? {})) expect([name, declared[name]]).toEqual([name, spec]);
  });
});

/** A free loopback port (the kernel's pick; the caller binds it right away). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('start.sh and the build', () => {
  let out: string;
  let manifest: { services: Record<string, { main: string }>; lua: string[]; runtimeExternals: string[] };
  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-build-test-'));
    const res = await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--outdir', path.join(out, 'dist')]);
    if (res.code !== 0) throw new Error(`build failed: ${res.stdout}${res.stderr}`);
    manifest = JSON.parse(readText(path.join(out, 'dist/build.json')));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('start.sh runs the built entry points of both node kinds with plain node, never tsx', () => {
    const script = readText(START_SH);
    expect(script).not.toContain('tsx');
    expect(script).not.toMatch(/\.ts\b/);
    expect(startEntries().sort()).toEqual(['dist/api/main.js', 'dist/socket/main.js']);
    for (const e of startEntries()) {
      if (!exists(path.join(out, e))) throw new Error(`start.sh runs ${e}, which the build does not write`);
    }
    expect(Object.values(manifest.services).map((s) => `dist/${s.main}`)).toEqual(expect.arrayContaining(startEntries()));
  });

  it("start.sh and the package scripts run the nodes with the product's V8 flags (deploy/node/flags.ts)", () => {
    const script = readText(START_SH);
    expect(/^NODE_FLAGS="([^"]*)"$/m.exec(script)?.[1]).toBe(NODE_FLAGS.join(' '));
    expect(script.match(/exec node /g)).toHaveLength(startEntries().length);
    const scripts = pkgJson('.').scripts ?? {};
    for (const name of ['start', 'start:api', 'start:socket']) expect(scripts[name]).toContain(`node ${NODE_FLAGS.join(' ')} dist/`);
  });

  it('every bundle has every Lua script beside it (packages read them through __dirname)', () => {
    const sources = ['packages/presence/src/lua', 'packages/fanout/src/lua'].flatMap((d) =>
      fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.lua')),
    );
    expect(manifest.lua).toEqual([...sources].sort());
    for (const service of Object.keys(manifest.services)) {
      expect(fs.readdirSync(path.join(out, 'dist', service, 'lua')).sort()).toEqual([...sources].sort());
    }
  });

  it('the packages the bundles load at run time are all in the image', () => {
    const image = Object.keys(pkgJson('deploy/docker').dependencies ?? {});
    expect(manifest.runtimeExternals.length).toBeGreaterThan(0);
    for (const name of manifest.runtimeExternals) expect(image).toContain(name);
  });

  it('the run-time packages resolve from where the bundles are, as they do in the image', () => {
    for (const service of Object.keys(manifest.services)) {
      const req = createRequire(path.join(out, 'dist', service, 'main.js'));
      for (const name of manifest.runtimeExternals) expect(() => req.resolve(name)).not.toThrow();
    }
  });

  it('the standalone bundle (what `pnpm start` runs) serves sessions on SQLite', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-build-standalone-'));
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [path.join(out, 'dist/standalone/main.js')], {
      cwd: data,
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), DATA_DIR: data, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('Chat server ready at')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`standalone bundle did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const session = await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nickName: 'build-test', chatroomName: 'build-test' }),
      });
      expect(session.status).toBe(201);
      expect(output).not.toMatch(/Cannot find module/);
    } finally {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it.each(['api', 'socket'])('the %s bundle loads with no node_modules and no TypeScript around it', async (service) => {
    // A copy of the bundle alone: every import it makes at start-up is inside it (the natives are loaded lazily or optionally).
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bundle-alone-'));
    try {
      fs.cpSync(path.join(out, 'dist', service), path.join(alone, 'dist', service), { recursive: true });
      const res = await run(process.execPath, [path.join(alone, 'dist', service, 'main.js')], {
        cwd: alone,
        env: { PATH: process.env.PATH ?? '', PORT: 'not-a-port' },
      });
      // The config is parsed after every module loaded: its error proves the bundle is complete.
      expect(res.stderr).toContain('invalid configuration');
      expect(res.stderr).toContain('PORT');
      expect(res.stderr).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
      expect(res.code).toBe(1);
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
    }
  });
});
