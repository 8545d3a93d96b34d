import type { ChatMessage, Member } from '@chat/protocol';
import { createMemoryBus } from '@chat/fanout';
import type { MeteredRoomBus } from '@chat/fanout';
import { createRoomDelivery } from '../src';
import type { DeliverySource, LocalSockets } from '../src';
import { msg } from './helpers';

/** socket.io's rooms, as the pipeline sees them: groups of socket ids, and what was emitted to whom. */
function fakeSockets() {
  const groups = new Map<string, Set<string>>();
  const received = new Map<string, Array<{ event: string; payload: unknown }>>();
  const sockets: LocalSockets = {
    count: (group) => groups.get(group)?.size ?? 0,
    emit(to, event, payload, except) {
      const targets = new Set<string>();
      for (const g of Array.isArray(to) ? to : [to]) for (const id of groups.get(g) ?? [g]) targets.add(id);
      for (const g of except === undefined ? [] : Array.isArray(except) ? except : [except]) for (const id of groups.get(g) ?? [g]) targets.delete(id);
      for (const id of targets) {
        if (!received.has(id)) received.set(id, []);
        received.get(id)!.push({ event, payload });
      }
    },
  };
  const join = (socketId: string, ...names: string[]) => names.forEach((g) => (groups.get(g) ?? groups.set(g, new Set()).get(g)!).add(socketId));
  /** Every message a socket got, from `message` and `messages` frames alike, in arrival order. */
  const messagesOf = (socketId: string): ChatMessage[] =>
    (received.get(socketId) ?? []).flatMap((r) =>
      r.event === 'message' ? [r.payload as ChatMessage] : r.event === 'messages' ? (r.payload as { messages: ChatMessage[] }).messages : [],
    );
  const framesOf = (socketId: string, event: string) => (received.get(socketId) ?? []).filter((r) => r.event === event);
  return { sockets, join, messagesOf, framesOf };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ROOM = 'room_a';
const tick = () => new Promise<void>((r) => setImmediate(r));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('room delivery on the memory bus', () => {
  let bus: MeteredRoomBus;
  let publisher: MeteredRoomBus;
  let source: DeliverySource & { stored: ChatMessage[]; members: jest.Mock };
  let fake: ReturnType<typeof fakeSockets>;
  let revoked: Array<[string, string]>;
  let delivery: ReturnType<typeof createRoomDelivery>;

  beforeEach(() => {
    const hub = { rooms: new Map() };
    bus = createMemoryBus({ hub });
    publisher = createMemoryBus({ hub });
    fake = fakeSockets();
    revoked = [];
    source = {
      stored: [],
      range: async (_r, after, upto) => source.stored.filter((m) => m.seq > after && m.seq <= upto),
      after: async (_r, after, limit) => source.stored.filter((m) => m.seq > after).slice(0, limit),
      highestSeq: async () => Math.max(0, ...source.stored.map((m) => m.seq)),
      members: jest.fn(async (): Promise<Member[]> => [{ userId: 'u1', nickName: 'Ann', headNum: 0 }]),
    };
    delivery = createRoomDelivery({
      bus,
      source,
      sockets: fake.sockets,
      gapTimeoutMs: 50,
      batch: { windowMs: 10, maxBatch: 100 },
      membersIntervalMs: 20,
      membersFullListMax: 200,
      onRevoked: (roomId, userId) => revoked.push([roomId, userId]),
    });
  });
  afterEach(async () => {
    delivery.close();
    await bus.close();
    await publisher.close();
  });

  const publish = (...seqs: number[]) => publisher.publish(ROOM, { kind: 'messages', messages: seqs.map((s) => msg(ROOM, s)) });

  test('a room is subscribed while it has sockets: its messages reach them in seq order, once', async () => {
    await delivery.acquire(ROOM);
    fake.join('s1', ...delivery.groupsOf(ROOM, false));
    fake.join('s2', ...delivery.groupsOf(ROOM, true));
    await publish(2);
    await publish(1);
    await publish(1, 3);
    await until(() => fake.messagesOf('s1').length === 3 && fake.messagesOf('s2').length === 3, 'three messages each');
    expect(fake.messagesOf('s1').map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(fake.messagesOf('s2').map((m) => m.seq)).toEqual([1, 2, 3]);
    // The batching socket got `messages` frames only, the other `message` frames only.
    expect(fake.framesOf('s2', 'message')).toHaveLength(0);
    expect(fake.framesOf('s1', 'messages')).toHaveLength(0);
    await delivery.release(ROOM);
    expect(bus.subscribedRooms().size).toBe(0);
  });

  test('a gap is filled from the store after the gap timeout; skipped seqs are passed at once', async () => {
    await delivery.acquire(ROOM);
    fake.join('s1', ROOM);
    source.stored.push(msg(ROOM, 1));
    await publisher.publish(ROOM, { kind: 'skipped', seqs: [2] });
    await publish(3);
    await until(() => fake.messagesOf('s1').length === 2, 'the gap filled');
    expect(fake.messagesOf('s1').map((m) => m.seq)).toEqual([1, 3]);
  });

  test('members-changed events become one coalesced members frame; revoked events reach the node', async () => {
    await delivery.acquire(ROOM);
    fake.join('s1', ROOM);
    delivery.socketJoined(ROOM, 's1');
    for (let i = 0; i < 5; i++) await publisher.publish(ROOM, { kind: 'membersChanged' });
    await until(() => fake.framesOf('s1', 'members').length === 1, 'a members frame');
    await tick();
    expect(source.members).toHaveBeenCalledTimes(1);
    await publisher.publish(ROOM, { kind: 'revoked', userId: 'user_x' });
    await until(() => revoked.length === 1, 'the revocation');
    expect(revoked).toEqual([[ROOM, 'user_x']]);
  });

  test.each([false, true])(
    'resume (batch %s): stored part, then what arrived live during the store read, then live; nothing twice or missing',
    async (batch) => {
      source.stored.push(...[1, 2, 3, 4, 5].map((s) => msg(ROOM, s)));
      await delivery.acquire(ROOM);
      fake.join('other', ...delivery.groupsOf(ROOM, batch));
      // The store answers only when the test says so; live messages arrive meanwhile.
      const read = deferred<ChatMessage[]>();
      source.after = async () => read.promise;
      const got: ChatMessage[] = [];
      const resumed = delivery.resume(ROOM, 2, 100, {
        batch,
        emit: (messages) => got.push(...messages),
        join: () => fake.join('resumer', ...delivery.groupsOf(ROOM, batch)),
      });
      await publish(6, 7);
      await until(() => fake.messagesOf('other').length === 2, 'the live messages at the other socket');
      source.stored.push(msg(ROOM, 6), msg(ROOM, 7));
      read.resolve([3, 4, 5, 6].map((s) => msg(ROOM, s)));
      expect(await resumed).toEqual({ resumed: true, newestSeq: 7 });
      await publish(8);
      await until(() => fake.messagesOf('resumer').length === 1, 'live after the resume');
      expect([...got, ...fake.messagesOf('resumer')].map((m) => m.seq)).toEqual([3, 4, 5, 6, 7, 8]);
    },
  );

  test('a batch still pending when the resumer joins reaches it once, through the batch group', async () => {
    await delivery.acquire(ROOM);
    fake.join('other', ...delivery.groupsOf(ROOM, true));
    await publish(1);
    await until(() => fake.messagesOf('other').length === 1, 'the first frame');
    const read = deferred<ChatMessage[]>();
    source.after = async () => read.promise;
    const got: ChatMessage[] = [];
    const resumed = delivery.resume(ROOM, 1, 100, {
      batch: true,
      emit: (m) => got.push(...m),
      join: () => fake.join('resumer', ...delivery.groupsOf(ROOM, true)),
    });
    // Delivered during the store read, but waiting in the batch window (10 ms) when the resumer joins.
    await publish(2);
    await tick();
    expect(fake.messagesOf('other')).toHaveLength(1);
    read.resolve([]);
    expect((await resumed).resumed).toBe(true);
    await until(() => fake.messagesOf('other').length === 2, 'the window flushed');
    expect([...got, ...fake.messagesOf('resumer')].map((m) => m.seq)).toEqual([2]);
  });

  test('a batching resumer in a room with no batching socket here gets what was delivered meanwhile', async () => {
    await delivery.acquire(ROOM);
    fake.join('other', ...delivery.groupsOf(ROOM, false));
    const read = deferred<ChatMessage[]>();
    source.after = async () => read.promise;
    const got: ChatMessage[] = [];
    const resumed = delivery.resume(ROOM, 0, 100, {
      batch: true,
      emit: (m) => got.push(...m),
      join: () => fake.join('resumer', ...delivery.groupsOf(ROOM, true)),
    });
    await publish(1, 2);
    await until(() => fake.messagesOf('other').length === 2, 'the live messages at the other socket');
    read.resolve([]);
    expect(await resumed).toEqual({ resumed: true, newestSeq: 2 });
    await publish(3);
    await until(() => fake.messagesOf('resumer').length === 1, 'live after the resume');
    expect([...got, ...fake.messagesOf('resumer')].map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  test('right after the room started here, a resume waits for a seq whose commit was in flight at the start', async () => {
    // Seq 5 was reserved before this node subscribed and is still committing: the store has 1..4.
    source.stored.push(...[1, 2, 3, 4].map((s) => msg(ROOM, s)));
    source.highestSeq = async () => 5;
    await delivery.acquire(ROOM);
    const got: ChatMessage[] = [];
    const resumed = delivery.resume(ROOM, 2, 100, { batch: false, emit: (m) => got.push(...m), join: () => fake.join('resumer', ROOM) });
    setTimeout(() => source.stored.push(msg(ROOM, 5)), 30);
    // Its publish reached the node before the subscription: it never arrives live.
    expect(await resumed).toEqual({ resumed: true, newestSeq: 5 });
    expect(got.map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  test('past the replay limit nothing is replayed and the resume says so', async () => {
    source.stored.push(...[1, 2, 3, 4, 5].map((s) => msg(ROOM, s)));
    await delivery.acquire(ROOM);
    const got: ChatMessage[] = [];
    let joined = false;
    const result = await delivery.resume(ROOM, 0, 3, { batch: false, emit: (m) => got.push(...m), join: () => (joined = true) });
    expect(result).toEqual({ resumed: false, newestSeq: 5 });
    expect(got).toEqual([]);
    expect(joined).toBe(true);
  });
});
