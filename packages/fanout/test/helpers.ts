import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '@chat/protocol';

export function uid(label: string): string {
  return `${label}-${randomUUID()}`;
}

export { fakeMessage as msg } from '@chat/testkit';

/** Milliseconds between two checks of `waitFor`: some callers publish to Redis on every check. */
export const POLL_MS = 5;

/**
 * Polls `check` every POLL_MS until it is true or the deadline passes (no fixed sleeps). Not on
 * every event-loop turn: a check that publishes (a probe until delivery resumes) would flood Redis
 * with thousands of messages a second and starve the very client it waits for.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));
  }
}

import type { BusEvent, BusEventKind, RoomBus } from '../src';

/** A batch event, as publishers send it. */
export const batch = (messages: ChatMessage[]): BusEvent => ({ kind: 'messages', messages });

type Listener = (roomId: string, event: BusEvent) => void;
const taps = new WeakMap<RoomBus, Listener[]>();

/** Listens to one kind of event; several listeners may share a bus (it has one handler). */
export function on<K extends BusEventKind>(bus: RoomBus, kind: K, h: (roomId: string, event: Extract<BusEvent, { kind: K }>) => void): void {
  let listeners = taps.get(bus);
  if (!listeners) {
    const list: Listener[] = [];
    taps.set(bus, (listeners = list));
    bus.onEvent((roomId, event) => list.forEach((l) => l(roomId, event)));
  }
  listeners.push((roomId, event) => {
    if (event.kind === kind) h(roomId, event as Extract<BusEvent, { kind: K }>);
  });
}

export const onMessages = (bus: RoomBus, h: (roomId: string, messages: ChatMessage[]) => void): void =>
  on(bus, 'messages', (roomId, e) => h(roomId, e.messages));
export const onSkipped = (bus: RoomBus, h: (roomId: string, seqs: number[]) => void): void => on(bus, 'skipped', (roomId, e) => h(roomId, e.seqs));
export const onMembersChanged = (bus: RoomBus, h: (roomId: string) => void): void => on(bus, 'membersChanged', (roomId) => h(roomId));
