import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandalone } from '@chat/standalone';
import { WIRE_ENV, randomSuffix, waitUntil } from '@chat/testkit';
import { connect, createSession } from '@chat/client';
import type { Browser } from 'playwright-core';
import {
  WAIT_MS,
  assertWebBuilt,
  enterRoom,
  expectListEqualsHistory,
  launchBrowser,
  listSeqs,
  messageTexts,
  openPage,
  screenshot,
  sendByEnter,
} from './browser';

// The web page served by the embedded server (`pnpm start`), in headless Chromium.
jest.setTimeout(120_000);

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  assertWebBuilt();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-web-'));
  const node = await startStandalone({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    TOKEN_SECRET: 'web-test-secret-'.padEnd(48, 'w'),
    ...WIRE_ENV,
    MEMBERS_INTERVAL_MS: '100',
    MESSAGE_RATE_LIMIT: '400/10',
  });
  server = { url: node.url, close: () => node.close() };
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the page is served at / with helmet CSP (scripts from self only), its script and styles beside it', async () => {
  const page = await fetch(`${server.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/script-src 'self'/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  const html = await page.text();
  expect(html).toContain('data-testid="message-list"');
  // No inline script: every <script> has a src.
  expect([...html.matchAll(/<script\b[^>]*>/g)].every((m) => /\bsrc=/.test(m[0]))).toBe(true);
  for (const [file, type] of [
    ['app.js', /javascript/],
    ['styles.css', /text\/css/],
  ] as const) {
    const res = await fetch(`${server.url}/${file}`);
    expect([file, res.status]).toEqual([file, 200]);
    expect(res.headers.get('content-type')).toMatch(type);
  }
  // The API is untouched.
  expect((await fetch(`${server.url}/api/v1/rooms/count`)).status).toBe(200);
  expect((await fetch(`${server.url}/no-such-file.js`)).status).toBe(404);
});

test('enter, chat (Enter and the button), content shown as text, older history on scrolling up, leave; on a phone-sized screen', async () => {
  const roomName = `web-${randomSuffix()}`;
  // 120 stored messages before anyone opens the page.
  const writer = await createSession(server.url, { nickName: `w-${randomSuffix()}`, chatroomName: roomName });
  const chat = connect(writer);
  await chat.join(writer.roomId);
  for (let i = 0; i < 120; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => chat.send(writer.roomId, `old ${i + k}`)));

  const { page, problems } = await openPage(browser, server.url, { viewport: { width: 390, height: 740 }, isMobile: true, hasTouch: true });
  const nickName = `phone-${randomSuffix()}`;
  await enterRoom(page, { nickName, headNum: 42, room: roomName });
  await page.getByTestId('member').filter({ hasText: nickName }).waitFor();
  expect(await page.getByTestId('online-count').textContent()).toBe('2');
  // The newest 50 first (its own join line the newest of them).
  await waitUntil(async () => (await listSeqs(page)).length >= 50, { timeoutMs: WAIT_MS, what: '50 messages' });
  expect((await messageTexts(page)).at(-1)).toBe(`${nickName} joined the room`);

  await sendByEnter(page, 'typed and Enter');
  await page.getByTestId('message-input').fill('clicked send');
  await page.getByTestId('send-button').click();
  const evil = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
  await sendByEnter(page, evil);
  await page.getByTestId('message').filter({ hasText: 'bold?' }).waitFor();
  expect(await page.getByTestId('message-list').locator('img, b:not(.meta b)').count()).toBe(0);
  expect(await page.getByTestId('message').last().locator('.text').textContent()).toBe(evil);
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  // The input is empty again, and nothing is left unsent.
  expect(await page.getByTestId('message-input').inputValue()).toBe('');
  await page.getByTestId('pending-message').first().waitFor({ state: 'detached' });

  // Scrolling up loads older pages until the start of the room.
  for (let i = 0; i < 5 && (await listSeqs(page))[0] !== 1; i++) {
    const before = (await listSeqs(page)).length;
    await page.getByTestId('message-list').evaluate((el: any) => el.scrollTo(0, 0));
    await waitUntil(async () => (await listSeqs(page)).length > before, { timeoutMs: WAIT_MS, what: 'an older page' });
  }
  await expectListEqualsHistory(page, server.url, writer.token, writer.roomId);
  expect((await listSeqs(page))[0]).toBe(1);

  // Fits the phone: nothing wider than the screen.
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  await screenshot(page, 'embedded-phone-room');

  const seenByWriter: string[] = [];
  chat.onMessage((m) => seenByWriter.push(m.content));
  await page.getByTestId('leave-button').click();
  await page.getByTestId('enter-button').waitFor();
  await waitUntil(() => seenByWriter.includes(`${nickName} left the room`), { timeoutMs: WAIT_MS, what: 'the leave line' });
  expect(await page.getByTestId('recent-rooms').textContent()).toContain(roomName);
  chat.close();
  expect(problems).toEqual([]);
});

test('a returning guest keeps the nickname (its userKey is remembered per nickname); another browser cannot take it', async () => {
  const nickName = `keep-${randomSuffix()}`;
  const room = `keys-${randomSuffix()}`;
  const { page, problems } = await openPage(browser, server.url);
  await enterRoom(page, { nickName, room });
  const keys = JSON.parse((await page.evaluate('localStorage.getItem("chat.userKeys")')) as string) as Record<string, string>;
  expect(keys[nickName]).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  await page.getByTestId('leave-button').click();
  // The form remembers the nickname; the room list offers the room: one click enters again, as the same user.
  expect(await page.getByTestId('nick-input').inputValue()).toBe(nickName);
  await page.getByTestId('recent-rooms').getByRole('button', { name: room }).click();
  await page
    .getByTestId('connection-state')
    .filter({ hasText: /^online$/ })
    .waitFor();
  await page.getByTestId('member').filter({ hasText: nickName }).waitFor();
  await screenshot(page, 'embedded-returning-guest');

  const other = await openPage(browser, server.url);
  await other.page.getByTestId('nick-input').fill(nickName);
  await other.page.getByTestId('room-input').fill(room);
  await other.page.getByTestId('enter-button').click();
  await other.page.getByTestId('entry-error').filter({ hasText: 'belongs to someone else' }).waitFor();
  expect(await other.page.getByTestId('room-count').textContent()).toMatch(/^\d+$/);
  await screenshot(other.page, 'embedded-nickname-taken');
  expect([...problems, ...other.problems]).toEqual([]);
});
