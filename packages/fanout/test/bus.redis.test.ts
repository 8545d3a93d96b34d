import type Redis from 'ioredis';
import type { ChatMessage } from '@chat/protocol';
import { createRedisBus, roomChannel } from '../src';
import type { MeteredRoomBus } from '../src';
import { busContract } from './bus-contract';
import { batch, msg, onMessages, uid, waitFor } from './helpers';
import { connect, killByName, nextEvent } from './redis-helpers';

/** One publish client shared by the "nodes", one subscriber connection per node, as in production. */
function redisFixture(onError: (e: unknown) => void = () => {}) {
  const prefix = uid('test-bus');
  const pub = connect();
  const clients: Redis[] = [pub];
  const buses: MeteredRoomBus[] = [];
  return {
    prefix,
    pub,
    async makeBus(sub: Redis = connect()) {
      if (!clients.includes(sub)) clients.push(sub);
      const bus = createRedisBus(pub, sub, { channelPrefix: prefix, onError });
      buses.push(bus);
      return bus;
    },
    async teardown() {
      await Promise.all(buses.map((b) => b.close()));
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
}

busContract('redis sharded pub/sub', async () => redisFixture());

describe('redis bus', () => {
  test('uses one sharded channel per room, <prefix>:room:{<roomId>}', async () => {
    const fx = redisFixture();
    try {
      const bus = await fx.makeBus();
      const room = uid('room');
      await bus.subscribe(room);
      const channels = (await fx.pub.call('PUBSUB', 'SHARDCHANNELS', `${fx.prefix}:*`)) as string[];
      expect(channels).toEqual([`${fx.prefix}:room:{${room}}`]);
      expect(roomChannel(fx.prefix, room)).toBe(`${fx.prefix}:room:{${room}}`);
    } finally {
      await fx.teardown();
    }
  });

  test('malformed payloads are dropped and reported, later batches still arrive', async () => {
    const errors: unknown[] = [];
    const fx = redisFixture((e) => errors.push(e));
    try {
      const [a, b] = [await fx.makeBus(), await fx.makeBus()];
      const room = uid('room');
      const got: ChatMessage[][] = [];
      onMessages(b, (_r, m) => got.push(m));
      await b.subscribe(room);
      const channel = roomChannel(fx.prefix, room);
      await fx.pub.spublish(channel, 'not json');
      await fx.pub.spublish(channel, JSON.stringify({ not: 'an array' }));
      await fx.pub.spublish(channel, JSON.stringify([{ ...msg(room, 1), seq: 'x' }]));
      await fx.pub.spublish(channel, JSON.stringify([msg('another-room', 1)]));
      await fx.pub.spublish(channel, JSON.stringify({ skipped: ['x'] }));
      await fx.pub.spublish(channel, JSON.stringify({ skipped: [] }));
      await a.publish(room, batch([msg(room, 7)]));
      await waitFor(() => got.length === 1, 'valid batch');
      expect(got[0]).toEqual([msg(room, 7)]);
      expect(errors).toHaveLength(6);
      expect(b.stats()).toMatchObject({ receivedBatches: 1, receivedMessages: 1, droppedBatches: 6 });
    } finally {
      await fx.teardown();
    }
  });

  test('a throwing handler is reported, not thrown into the client', async () => {
    const errors: unknown[] = [];
    const fx = redisFixture((e) => errors.push(e));
    try {
      const bus = await fx.makeBus();
      const room = uid('room');
      onMessages(bus, () => {
        throw new Error('boom');
      });
      await bus.subscribe(room);
      await bus.publish(room, batch([msg(room, 1)]));
      await waitFor(() => errors.length === 1, 'error reported');
    } finally {
      await fx.teardown();
    }
  });

  test('after the subscriber connection is killed, every subscription comes back', async () => {
    const fx = redisFixture();
    const admin = connect();
    const subName = uid('bus-sub').replace(/-/g, '_');
    const sub = connect(subName);
    try {
      const a = await fx.makeBus();
      const b = await fx.makeBus(sub);
      const rooms = [uid('r1'), uid('r2'), uid('r3')];
      const got = new Map<string, number[]>();
      onMessages(b, (roomId, messages) => {
        const seqs = got.get(roomId) ?? [];
        seqs.push(...messages.map((m) => m.seq));
        got.set(roomId, seqs);
      });
      for (const r of rooms) await b.subscribe(r);
      const resubscribed: string[][] = [];
      b.onResubscribed((roomIds) => resubscribed.push(roomIds));

      const reconnected = nextEvent(sub, 'ready');
      expect(await killByName(admin, subName)).toBe(1);
      await reconnected;
      // The node hears which rooms it may have missed messages of.
      await waitFor(() => resubscribed.length === 1, 'the re-subscribed rooms');
      expect([...resubscribed[0]!].sort()).toEqual([...rooms].sort());

      // Probe each room until its delivery resumes (a polling deadline, no sleeps).
      let seq = 0;
      for (const r of rooms) {
        await waitFor(async () => {
          await a.publish(r, batch([msg(r, ++seq)]));
          return (got.get(r)?.length ?? 0) > 0;
        }, `delivery on ${r} after reconnect`);
      }
      // Re-subscribing twice (ioredis and the bus both do it) must not duplicate deliveries.
      const marker = rooms[0]!;
      const before = got.get(marker)!.length;
      await a.publish(marker, batch([msg(marker, 1000)]));
      await a.publish(marker, batch([msg(marker, 1001)]));
      await waitFor(() => got.get(marker)!.includes(1001), 'marker');
      expect(got.get(marker)!.slice(before)).toEqual([1000, 1001]);
      expect(b.subscribedRooms()).toEqual(new Set(rooms));
    } finally {
      await fx.teardown();
      await admin.quit();
    }
  });

  test('two buses with different prefixes can share one subscriber connection', async () => {
    const fx1 = redisFixture();
    const fx2 = redisFixture();
    const shared = connect();
    try {
      const b1 = await fx1.makeBus(shared);
      const b2 = createRedisBus(fx2.pub, shared, { channelPrefix: fx2.prefix });
      const room = uid('room');
      const got1: number[] = [];
      const got2: number[] = [];
      onMessages(b1, (_r, m) => got1.push(...m.map((x) => x.seq)));
      onMessages(b2, (_r, m) => got2.push(...m.map((x) => x.seq)));
      await b1.subscribe(room);
      await b2.subscribe(room);
      await b1.publish(room, batch([msg(room, 1)]));
      await b2.publish(room, batch([msg(room, 2)]));
      await waitFor(() => got1.length === 1 && got2.length === 1, 'one batch each');
      expect([got1, got2]).toEqual([[1], [2]]);
      await b2.close();
    } finally {
      await fx1.teardown();
      await fx2.teardown();
    }
  });
});
