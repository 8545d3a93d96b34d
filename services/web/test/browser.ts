import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { ChatMessage } from '@chat/protocol';
import { request, waitUntil } from '@chat/testkit';

/** Debian's Chromium (scripts/ensure-test-tools.sh installs it): Playwright's own browser download does not work here. */
export const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../../..');
/** Screenshots land here (gitignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web');
/** Every wait in these suites is bounded by this (or less). */
export const WAIT_MS = 20_000;

export function assertWebBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist/web/index.html'))) throw new Error('dist/web is not built: run `pnpm build` first');
}

/**
 * Headless Chromium. Playwright starts it with a fresh temporary profile of
 * its own (`--user-data-dir` in a new temp folder, removed on close); it
 * refuses that flag in `args`.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure-test-tools.sh chromium\` (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page in a context of its own (its own localStorage), collecting what should never happen: page errors, CSP violations, failed loads. */
export async function openPage(browser: Browser, url: string, opts: BrowserContextOptions = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext(opts);
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/WebSocket connection|ERR_CONNECTION_REFUSED|502|503|Failed to load resource/.test(msg.text()))
      problems.push(`console: ${msg.text()}`);
    if (/Content Security Policy/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    if (!req.url().includes('/socket.io/')) problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
  });
  await page.goto(url, { timeout: WAIT_MS });
  await page.getByTestId('room-count').filter({ hasText: /^\d+$/ }).waitFor({ timeout: WAIT_MS });
  return { page, problems };
}

export async function enterRoom(page: Page, who: { nickName: string; headNum?: number; room: string }): Promise<void> {
  await page.getByTestId('nick-input').fill(who.nickName);
  await page.getByTestId('avatar-input').fill(String(who.headNum ?? 0));
  await page.getByTestId('room-input').fill(who.room);
  await page.getByTestId('enter-button').click();
  await waitForState(page, 'online');
}

export async function waitForState(page: Page, state: string, timeoutMs = WAIT_MS): Promise<void> {
  await page
    .getByTestId('connection-state')
    .filter({ hasText: new RegExp(`^${state}$`) })
    .waitFor({ timeout: timeoutMs });
}

/** Types a message and presses Enter. */
export async function sendByEnter(page: Page, text: string): Promise<void> {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-input').press('Enter');
}

/** The seqs the message list shows, top to bottom. */
export function listSeqs(page: Page): Promise<number[]> {
  return page
    .getByTestId('message-list')
    .getByTestId('message')
    .evaluateAll((els: any[]) => els.map((e) => Number(e.dataset.seq)));
}

export async function messageTexts(page: Page): Promise<string[]> {
  return page
    .getByTestId('message-list')
    .getByTestId('message')
    .evaluateAll((els: any[]) => els.map((e) => e.textContent as string));
}

/** Every stored message of a room (paged forward over REST with a token of a user who entered it). */
export async function storedSeqs(url: string, token: string, roomId: string): Promise<number[]> {
  const seqs: number[] = [];
  let after = 0;
  for (;;) {
    const page = await request<{ messages: ChatMessage[]; hasMore: boolean }>(url, 'GET', `/api/v1/rooms/${roomId}/messages?after=${after}&limit=200`, {
      token,
    });
    if (page.status !== 200) throw new Error(`history ${page.status}`);
    seqs.push(...page.body.messages.map((m) => m.seq));
    if (!page.body.hasMore || page.body.messages.length === 0) return seqs;
    after = seqs[seqs.length - 1]!;
  }
}

/** Waits until the page's list shows exactly the stored seqs from its first shown one on: no gap, no duplicate. */
export async function expectListEqualsHistory(page: Page, url: string, token: string, roomId: string): Promise<number[]> {
  let shown: number[] = [];
  let stored: number[] = [];
  await waitUntil(
    async () => {
      shown = await listSeqs(page);
      stored = (await storedSeqs(url, token, roomId)).filter((s) => s >= (shown[0] ?? 0));
      return shown.length > 0 && JSON.stringify(shown) === JSON.stringify(stored);
    },
    { timeoutMs: WAIT_MS, what: 'the message list to equal history' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}: list ${JSON.stringify(shown)} vs history ${JSON.stringify(stored)}`);
  });
  return shown;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
