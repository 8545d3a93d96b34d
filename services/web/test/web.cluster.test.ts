import { randomSuffix, waitUntil } from '@chat/testkit';
import { createSession } from '@chat/client';
import type { NodeHandle } from '@chat/devcluster';
import type { Browser, Page } from 'playwright-core';
import { clusterTarget, scrapeCounter } from '../../../tools/devcluster/test/cluster-target';
import type { ClusterTarget } from '../../../tools/devcluster/test/cluster-target';
import {
  WAIT_MS,
  assertWebBuilt,
  enterRoom,
  expectListEqualsHistory,
  launchBrowser,
  messageTexts,
  openPage,
  screenshot,
  sendByEnter,
  waitForState,
} from './browser';

// Two people in one room through the load balancer of a real cluster (the API
// node serves the page, socket nodes carry the chat), each in a browser context
// of its own. Then the socket node under one of them is killed with SIGKILL.
jest.setTimeout(240_000);

let t: ClusterTarget;
let browser: Browser;
beforeAll(async () => {
  assertWebBuilt();
  [t, browser] = await Promise.all([clusterTarget({ socket: 2, api: 1 }), launchBrowser()]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
}, 60_000);

const socketNodes = () => t.cluster.nodes.filter((n) => n.kind === 'socket');
const socketCounts = () => Promise.all(socketNodes().map((n) => scrapeCounter(n.metricsUrl, 'chat_connected_sockets')));

/** Enters the room, and returns the socket node the page's connection landed on (the one whose count rose). */
async function enterOnSomeNode(page: Page, who: { nickName: string; headNum: number; room: string }): Promise<NodeHandle> {
  const nodes = socketNodes();
  const before = await socketCounts();
  await enterRoom(page, who);
  return waitUntil(
    async () => {
      const now = await socketCounts();
      const rose = nodes.filter((_, i) => now[i]! === before[i]! + 1);
      return rose.length === 1 ? rose[0] : undefined;
    },
    { timeoutMs: WAIT_MS, what: 'the node the page is on' },
  );
}

/** Records, in the page, every connection state shown and every unsent message that appears. */
async function watchPage(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__states = [];
    window.__pending = [];
    const state = document.querySelector('[data-testid="connection-state"]');
    new MutationObserver(() => window.__states.push(state.textContent)).observe(state, { childList: true, characterData: true, subtree: true });
    new MutationObserver((records) => {
      for (const r of records) {
        const node = r.type === 'attributes' ? r.target : null;
        const nodes = node ? [node] : [...r.addedNodes];
        for (const n of nodes) if (n.dataset && n.dataset.testid === 'pending-message') window.__pending.push(n.dataset.state + ':' + n.querySelector('.text').textContent);
      }
    }).observe(document.querySelector('[data-testid="message-list"]'), { childList: true, attributes: true, attributeFilter: ['data-state'], subtree: true });
  })()`);
}

test('two browsers chat through the cluster; the socket node under one dies: reconnecting, online, no gap, unsent message stored once', async () => {
  const room = `web-cluster-${randomSuffix()}`;
  const ann = { nickName: `ann-${randomSuffix()}`, headNum: 7, room };
  const bob = { nickName: `bob-${randomSuffix()}`, headNum: 300, room };
  const a = await openPage(browser, t.url);
  const b = await openPage(browser, t.url, { viewport: { width: 390, height: 740 }, isMobile: true, hasTouch: true });

  const nodeA = await enterOnSomeNode(a.page, ann);
  // Bob on the other socket node, so that killing his leaves Ann's connection alone.
  let nodeB = await enterOnSomeNode(b.page, bob);
  for (let i = 0; i < 4 && nodeB.id === nodeA.id; i++) {
    await b.page.getByTestId('leave-button').click();
    await b.page.getByTestId('enter-button').waitFor();
    nodeB = await enterOnSomeNode(b.page, bob);
  }
  expect(nodeB.id).not.toBe(nodeA.id);

  // Each sees the other: join line, members, messages.
  await a.page
    .getByTestId('message')
    .filter({ hasText: `${bob.nickName} joined the room` })
    .waitFor();
  for (const p of [a.page, b.page]) {
    await p.getByTestId('member').filter({ hasText: ann.nickName }).waitFor();
    await p.getByTestId('member').filter({ hasText: bob.nickName }).waitFor();
    await p.getByTestId('online-count').filter({ hasText: /^2$/ }).waitFor();
  }
  await sendByEnter(a.page, 'hello from Ann');
  await b.page.getByTestId('message').filter({ hasText: 'hello from Ann' }).waitFor();
  await b.page.getByTestId('message-input').fill('hi from Bob');
  await b.page.getByTestId('send-button').click();
  await a.page.getByTestId('message').filter({ hasText: 'hi from Bob' }).waitFor();

  // A third user who entered the room by session only: its token reads history.
  const observer = await createSession(t.url, { nickName: `obs-${randomSuffix()}`, chatroomName: room });

  // SIGKILL the socket node under Bob while Ann sends, and Bob writes while reconnecting.
  await watchPage(b.page);
  await t.cluster.kill(nodeB.id, 'SIGKILL');
  await waitUntil(async () => ((await b.page.evaluate('window.__states')) as string[]).includes('reconnecting'), {
    timeoutMs: WAIT_MS,
    what: 'Bob reconnecting',
  });
  await sendByEnter(b.page, 'written while reconnecting');
  for (let i = 0; i < 5; i++) await sendByEnter(a.page, `while Bob was away ${i}`);
  await waitForState(b.page, 'online', 30_000);
  await b.page.getByTestId('message').filter({ hasText: 'written while reconnecting' }).waitFor();
  await a.page.getByTestId('message').filter({ hasText: 'written while reconnecting' }).waitFor();
  await b.page.getByTestId('message').filter({ hasText: 'while Bob was away 4' }).waitFor();
  await b.page.getByTestId('pending-message').first().waitFor({ state: 'detached' });

  const states = (await b.page.evaluate('window.__states')) as string[];
  expect(states[0]).toBe('reconnecting');
  expect(states.at(-1)).toBe('online');
  // The unsent message was shown as such, then replaced by the stored one, stored once.
  expect((await b.page.evaluate('window.__pending')) as string[]).toContain('unsent:written while reconnecting');
  const bobList = await expectListEqualsHistory(b.page, t.url, observer.token, observer.roomId);
  const annList = await expectListEqualsHistory(a.page, t.url, observer.token, observer.roomId);
  expect(annList.at(-1)).toBe(bobList.at(-1));
  expect((await messageTexts(b.page)).filter((x) => x.includes('written while reconnecting'))).toHaveLength(1);
  await screenshot(a.page, 'cluster-ann-after-kill');
  await screenshot(b.page, 'cluster-bob-after-kill');

  // Bob leaves: Ann sees the leave line and only herself.
  await b.page.getByTestId('leave-button').click();
  await b.page.getByTestId('enter-button').waitFor();
  await a.page
    .getByTestId('message')
    .filter({ hasText: `${bob.nickName} left the room` })
    .waitFor();
  await a.page.getByTestId('online-count').filter({ hasText: /^1$/ }).waitFor();
  expect(await a.page.getByTestId('member').count()).toBe(1);
  await screenshot(a.page, 'cluster-ann-after-leave');
  expect([...a.problems, ...b.problems]).toEqual([]);
});
