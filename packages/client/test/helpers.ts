import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startStandalone } from '@chat/standalone';
import { WIRE_ENV, request, waitUntil } from '@chat/testkit';
import type { ChatMessage } from '@chat/protocol';
import type { ChatClient } from '../src';

const run = promisify(execFile);
const PKG = path.resolve(__dirname, '..');

export const TEST_SECRET = 'client-test-secret-'.padEnd(48, 'c');

/** The embedded server on port 0 with its own data folder, for one test file. */
export async function embeddedServer(env: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-client-'));
  const node = await startStandalone({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    TOKEN_SECRET: TEST_SECRET,
    ...WIRE_ENV,
    MESSAGE_RATE_LIMIT: '200/10',
    MEMBERS_INTERVAL_MS: '100',
    ...env,
  });
  return {
    url: node.url,
    async close() {
      await node.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every stored message of a room, oldest first, paged forward over REST. */
export async function fullHistory(url: string, token: string, roomId: string): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let after = 0;
  for (;;) {
    const page = await request<{ messages: ChatMessage[]; hasMore: boolean }>(url, 'GET', `/api/v1/rooms/${roomId}/messages?after=${after}&limit=200`, {
      token,
    });
    if (page.status !== 200) throw new Error(`history: ${page.status} ${JSON.stringify(page.body)}`);
    all.push(...page.body.messages);
    if (!page.body.hasMore || page.body.messages.length === 0) return all;
    after = page.body.messages[page.body.messages.length - 1]!.seq;
  }
}

/** What a client handed on for one room, recorded from the moment it is attached. */
export function record(chat: ChatClient, roomId: string): ChatMessage[] {
  const seen: ChatMessage[] = [];
  chat.onMessage((m) => {
    if (m.roomId === roomId) seen.push(m);
  });
  return seen;
}

/** Ends the client's transport under it, as a network drop would: socket.io-client reconnects by itself. */
export function dropConnection(chat: ChatClient): void {
  (chat as unknown as { socket: { io: { engine: { close(): void } } } }).socket.io.engine.close();
}

export function waitForState(chat: ChatClient, state: ChatClient['state'], timeoutMs = 15_000): Promise<boolean> {
  return waitUntil(() => chat.state === state, { timeoutMs, what: `state ${state} (now ${chat.state})` });
}

/**
 * The client's view of a room is the stored history from where it started:
 * same seqs, in order, each once (seqs of refused sends are in neither).
 */
export async function expectViewEqualsHistory(url: string, token: string, roomId: string, seen: ChatMessage[], timeoutMs = 20_000): Promise<ChatMessage[]> {
  const from = seen[0]?.seq ?? 1;
  let stored: ChatMessage[] = [];
  await waitUntil(
    async () => {
      stored = (await fullHistory(url, token, roomId)).filter((m) => m.seq >= from);
      return seen.length === stored.length && seen.every((m, i) => m.id === stored[i]!.id);
    },
    { timeoutMs, what: 'the view to equal history' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}: view ${JSON.stringify(seen.map((m) => m.seq))} vs history ${JSON.stringify(stored.map((m) => m.seq))}`);
  });
  return stored;
}

/**
 * The package as `pnpm pack` ships it (publishConfig applied), installed into a
 * folder of its own beside its one dependency, socket.io-client. Built first
 * (a moment when nothing changed: the declarations are made again only when a source did).
 */
export async function installPacked(): Promise<string> {
  await run(process.execPath, [path.join(PKG, 'build.mjs')], { cwd: PKG });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-client-pkg-'));
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', dir, '--json'], { cwd: PKG });
  const tarball = path.join(dir, path.basename((JSON.parse(stdout) as { filename: string }).filename));
  const target = path.join(dir, 'node_modules/@chat/client');
  fs.mkdirSync(target, { recursive: true });
  await run('tar', ['xzf', tarball, '-C', target, '--strip-components=1']);
  fs.symlinkSync(fs.realpathSync(path.join(PKG, 'node_modules/socket.io-client')), path.join(dir, 'node_modules/socket.io-client'), 'dir');
  return dir;
}
