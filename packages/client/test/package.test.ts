import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { embeddedServer, installPacked } from './helpers';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

jest.setTimeout(120_000);

describe('the packed package', () => {
  let dir: string;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    [dir, server] = await Promise.all([installPacked(), embeddedServer()]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('ships dist only: ESM, CommonJS and one declaration file', () => {
    const files = fs.readdirSync(path.join(dir, 'node_modules/@chat/client/dist')).sort();
    expect(files).toEqual(expect.arrayContaining(['index.cjs', 'index.d.ts', 'index.mjs']));
    expect(fs.existsSync(path.join(dir, 'node_modules/@chat/client/src'))).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/@chat/client/package.json'), 'utf8'));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.mjs', require: './dist/index.cjs' });
    // No Node built-in and nothing but socket.io-client is imported: the same file serves browsers.
    const esm = fs.readFileSync(path.join(dir, 'node_modules/@chat/client/dist/index.mjs'), 'utf8');
    expect([...esm.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1])).toEqual(['socket.io-client']);
    expect(esm).not.toMatch(/require\(|from ["']node:/);
  });

  test('import and require both work in Node and talk to a server', async () => {
    const script = (kind: 'esm' | 'cjs') => `
      ${kind === 'esm' ? "import { createSession, connect, ClientError } from '@chat/client';" : "const { createSession, connect, ClientError } = require('@chat/client');"}
      (async () => {
        const s = await createSession(process.env.CHAT_URL, { nickName: 'pkg-${kind}-' + Date.now(), chatroomName: 'pkg' });
        const chat = connect(s);
        await chat.join(s.roomId);
        const m = await chat.send(s.roomId, 'from ${kind}');
        chat.close();
        console.log(JSON.stringify({ seq: m.seq, error: typeof ClientError }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    for (const kind of ['esm', 'cjs'] as const) {
      const file = path.join(dir, kind === 'esm' ? 'probe.mjs' : 'probe.cjs');
      fs.writeFileSync(file, script(kind));
      const { stdout } = await run(process.execPath, [file], { cwd: dir, env: { ...process.env, CHAT_URL: server.url }, timeout: 30_000 });
      expect(JSON.parse(stdout)).toEqual({ seq: expect.any(Number), error: 'function' });
    }
  });

  test('its declarations type a consumer (strict, no Node types needed)', async () => {
    fs.writeFileSync(
      path.join(dir, 'consumer.ts'),
      `import { connect, createSession, ClientError } from '@chat/client';
       import type { ChatMessage, ConnectionState, Member } from '@chat/client';
       export async function main(url: string): Promise<number> {
         const s = await createSession(url, { nickName: 'x', chatroomName: 'y' });
         const roomId: string = s.roomId;
         const chat = connect(s, { gapWaitMs: 500 });
         chat.onMessage((m: ChatMessage) => m.seq);
         chat.onMembers((_room: string, members: Member[]) => members.map((m) => m.headNum));
         chat.onState((state: ConnectionState) => state === 'online');
         chat.onError((e: ClientError) => e.code === 'rate_limited');
         const page = await chat.history(roomId, { before: 10 });
         // @ts-expect-error content must be a string
         void chat.send(roomId, 42);
         return page.messages.length + (await chat.send(roomId, 'hi')).seq;
       }`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
        files: ['consumer.ts'],
      }),
    );
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]).catch((err: { stdout?: string; message: string }) => {
      throw new Error(`the consumer does not compile against the shipped types:\n${err.stdout ?? err.message}`);
    });
  });
});
