import type { ChatMessage } from '@chat/protocol';
import type { MeteredRoomBus } from '../src';
import { batch, msg, on, onMembersChanged, onMessages, onSkipped, uid, waitFor } from './helpers';

/** Two or more buses acting as nodes of one cluster, plus their teardown. */
export interface BusFixture {
  /** A new bus (a new "node") on the same transport. */
  makeBus(): Promise<MeteredRoomBus>;
  teardown(): Promise<void>;
}

type Received = Array<{ roomId: string; messages: ChatMessage[] }>;

function collect(bus: MeteredRoomBus): Received {
  const got: Received = [];
  onMessages(bus, (roomId, messages) => got.push({ roomId, messages }));
  return got;
}

/** The behaviour every RoomBus shares, whatever carries it. */
export function busContract(name: string, setup: () => Promise<BusFixture>): void {
  describe(`RoomBus contract: ${name}`, () => {
    let fx: BusFixture;
    beforeEach(async () => {
      fx = await setup();
    });
    afterEach(async () => {
      await fx.teardown();
    });

    test('a subscriber receives a published batch whole; the publisher need not subscribe', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got = collect(b);
      await b.subscribe(room);
      await a.publish(room, batch([msg(room, 1), msg(room, 2)]));
      await waitFor(() => got.length === 1, 'one batch');
      expect(got[0]).toEqual({ roomId: room, messages: [msg(room, 1), msg(room, 2)] });
      expect(a.stats()).toMatchObject({ publishedBatches: 1, receivedBatches: 0 });
      expect(b.stats()).toMatchObject({ publishedBatches: 0, receivedBatches: 1, receivedMessages: 2 });
      expect(b.subscribedRooms()).toEqual(new Set([room]));
    });

    test('batches from one publisher arrive in publish order', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got = collect(b);
      await b.subscribe(room);
      await Promise.all(Array.from({ length: 50 }, (_, i) => a.publish(room, batch([msg(room, i + 1)]))));
      await waitFor(() => got.length === 50, '50 batches');
      expect(got.map((g) => g.messages[0]?.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    test('subscribe is idempotent: one delivery per batch', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got = collect(b);
      await Promise.all([b.subscribe(room), b.subscribe(room)]);
      await b.subscribe(room);
      await a.publish(room, batch([msg(room, 1)]));
      await a.publish(room, batch([msg(room, 2)]));
      await waitFor(() => got.length >= 2, 'two batches');
      // A marker batch after them proves no duplicate was still on its way.
      await a.publish(room, batch([msg(room, 3)]));
      await waitFor(() => got.some((g) => g.messages[0]?.seq === 3), 'marker');
      expect(got.map((g) => g.messages[0]?.seq)).toEqual([1, 2, 3]);
    });

    test('unsubscribe stops delivery of that room only', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const [gone, kept] = [uid('gone'), uid('kept')];
      const got = collect(b);
      await b.subscribe(gone);
      await b.subscribe(kept);
      await b.unsubscribe(gone);
      expect(b.subscribedRooms()).toEqual(new Set([kept]));
      await a.publish(gone, batch([msg(gone, 1)]));
      await a.publish(kept, batch([msg(kept, 1)]));
      // Same publisher, published after: once `kept` arrived, `gone` would have too.
      await waitFor(() => got.length >= 1, 'kept batch');
      expect(got).toEqual([{ roomId: kept, messages: [msg(kept, 1)] }]);
    });

    test('a bus that never subscribed a room receives nothing of it', async () => {
      const [a, member, bystander] = [await fx.makeBus(), await fx.makeBus(), await fx.makeBus()];
      const [room, other] = [uid('room'), uid('other')];
      const memberGot = collect(member);
      const bystanderGot = collect(bystander);
      await member.subscribe(room);
      await bystander.subscribe(other);
      for (let i = 1; i <= 10; i++) await a.publish(room, batch([msg(room, i)]));
      await waitFor(() => memberGot.length === 10, 'member batches');
      // A batch for the bystander's own room, published last, bounds the wait.
      await a.publish(other, batch([msg(other, 1)]));
      await waitFor(() => bystanderGot.length === 1, 'bystander own batch');
      expect(bystanderGot).toEqual([{ roomId: other, messages: [msg(other, 1)] }]);
      expect(bystander.stats()).toMatchObject({ receivedBatches: 1, receivedMessages: 1 });
      expect(member.stats()).toMatchObject({ receivedBatches: 10, receivedMessages: 10 });
    });

    test('close is idempotent, stops delivery and refuses to publish', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got = collect(b);
      await b.subscribe(room);
      await b.close();
      await b.close();
      expect(b.subscribedRooms().size).toBe(0);
      await expect(b.publish(room, batch([msg(room, 1)]))).rejects.toMatchObject({ code: 'unavailable' });
      const c = await fx.makeBus();
      const cGot = collect(c);
      await c.subscribe(room);
      await a.publish(room, batch([msg(room, 1)]));
      await waitFor(() => cGot.length === 1, 'live subscriber');
      expect(got).toEqual([]);
    });

    test('a members-changed signal reaches the subscribers of that room only, not as messages', async () => {
      const [a, b, c] = [await fx.makeBus(), await fx.makeBus(), await fx.makeBus()];
      const [room, other] = [uid('room'), uid('room')];
      const signals: Record<string, string[]> = { b: [], c: [] };
      onMembersChanged(b, (roomId) => signals.b!.push(roomId));
      onMembersChanged(c, (roomId) => signals.c!.push(roomId));
      const gotB = collect(b);
      await b.subscribe(room);
      await c.subscribe(other);
      await a.publish(room, { kind: 'membersChanged' });
      // A batch published after the signal arrives after it: once it is in, the signal is too.
      await a.publish(room, batch([msg(room, 1)]));
      await waitFor(() => gotB.length === 1, 'the batch after the signal');
      expect(signals).toEqual({ b: [room], c: [] });
      expect(b.stats()).toMatchObject({ receivedBatches: 1, receivedMessages: 1, droppedBatches: 0 });
    });

    test('skipped seqs reach every subscriber of that room once, the publisher included, in order with batches', async () => {
      const [a, b, c] = [await fx.makeBus(), await fx.makeBus(), await fx.makeBus()];
      const [room, other] = [uid('room'), uid('room')];
      const skipped: Record<string, Array<[string, number[]]>> = { a: [], b: [], c: [] };
      for (const [name, bus] of [
        ['a', a],
        ['b', b],
        ['c', c],
      ] as const)
        onSkipped(bus, (roomId, seqs) => skipped[name]!.push([roomId, seqs]));
      const gotB = collect(b);
      await a.subscribe(room);
      await b.subscribe(room);
      await c.subscribe(other);
      await a.publish(room, { kind: 'skipped', seqs: [4, 5] });
      await a.publish(room, { kind: 'skipped', seqs: [] });
      // A batch published after the skip arrives after it: once it is in, the skip is too.
      await a.publish(room, batch([msg(room, 6)]));
      await waitFor(() => gotB.length === 1, 'the batch after the skip');
      await waitFor(() => skipped.a!.length === 1, 'the publisher hears its own skip');
      expect(skipped).toEqual({ a: [[room, [4, 5]]], b: [[room, [4, 5]]], c: [] });
      expect(b.stats()).toMatchObject({ receivedBatches: 1, receivedMessages: 1, droppedBatches: 0 });
    });

    test('a publisher subscribed to the room gets its own batches once (no echo), in order with later ones', async () => {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got = collect(a);
      await a.subscribe(room);
      await b.subscribe(room);
      await a.publish(room, batch([msg(room, 1)]));
      await a.publish(room, batch([msg(room, 2)]));
      // b publishes after a's publishes were accepted, so once a has b's batch any echo of a's own has arrived too.
      await b.publish(room, batch([msg(room, 3)]));
      await waitFor(() => got.some((g) => g.messages[0]?.seq === 3), "b's batch");
      expect(got.map((g) => g.messages.map((m) => m.seq))).toEqual([[1], [2], [3]]);
      expect(a.stats()).toMatchObject({ publishedBatches: 2, receivedBatches: 3, receivedMessages: 3 });
    });

    test('a revoked event reaches the subscribers of that room with the user it names', async () => {
      const [a, b, c] = [await fx.makeBus(), await fx.makeBus(), await fx.makeBus()];
      const [room, other] = [uid('room'), uid('room')];
      const revoked: Record<string, Array<[string, string]>> = { b: [], c: [] };
      on(b, 'revoked', (roomId, e) => revoked.b!.push([roomId, e.userId]));
      on(c, 'revoked', (roomId, e) => revoked.c!.push([roomId, e.userId]));
      const gotB = collect(b);
      await b.subscribe(room);
      await c.subscribe(other);
      await a.publish(room, { kind: 'revoked', userId: 'user_gone' });
      await a.publish(room, batch([msg(room, 1)]));
      await waitFor(() => gotB.length === 1, 'the batch after the revocation');
      expect(revoked).toEqual({ b: [[room, 'user_gone']], c: [] });
    });

    test('an empty publish sends nothing', async () => {
      const a = await fx.makeBus();
      await a.publish(uid('room'), batch([]));
      await a.publish(uid('room'), { kind: 'skipped', seqs: [] });
      expect(a.stats().publishedBatches).toBe(0);
    });
  });
}
