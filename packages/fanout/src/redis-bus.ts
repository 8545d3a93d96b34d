import { ChatError } from '@chat/protocol';
import type { ChatMessage } from '@chat/protocol';
import { MEMBERS_CHANGED_PAYLOAD, decodeBatch, decodeSkipped, encodeBatch, encodeSkipped } from './codec';
import { DEFAULT_PREFIX, roomChannel } from './keys';
import { createStatsCounter } from './stats';
import type { MeteredRoomBus } from './types';

/**
 * The Redis commands and events the bus uses. Both ioredis `Redis` and
 * `Cluster` fit; a Cluster must be created with `shardedSubscribers: true`
 * to route SSUBSCRIBE to the shard that owns each room's channel.
 */
export interface ShardedPubSubClient {
  spublish(channel: string, message: string): Promise<unknown>;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** ioredis connection status; `close()` only sends SUNSUBSCRIBE on a ready connection. */
  readonly status?: string;
}

/** A re-subscription Redis refused is tried again after this, doubling up to the maximum. */
const RESUBSCRIBE_RETRY_MS = 500;
const MAX_RESUBSCRIBE_RETRY_MS = 10_000;

/** Own batches whose Redis echo is still expected: at most this many, for at most this long. */
const MAX_PENDING_ECHOES = 10_000;
const ECHO_TTL_MS = 30_000;

export interface RedisBusOptions {
  /** Channels are `<channelPrefix>:room:{<roomId>}`. Default `chat`. */
  channelPrefix?: string;
  /** Malformed payloads, a throwing handler, failed re-subscriptions. Never thrown. */
  onError?: (err: unknown) => void;
}

/**
 * RoomBus on Redis 7 sharded pub/sub: one channel per room, so a node only
 * receives rooms it subscribed (interest routing), on a standalone Redis and
 * on a Cluster alike (where each room's traffic stays on one shard).
 *
 * `pub` may be the node's shared command client; `sub` must be dedicated to
 * subscriptions (a connection in subscriber mode cannot run commands). It may
 * be shared with another bus of a different prefix (each bus only reads its
 * own channels), not with one of the same prefix.
 */
export function createRedisBus(
  pub: ShardedPubSubClient,
  sub: ShardedPubSubClient,
  opts: RedisBusOptions = {},
): MeteredRoomBus {
  const prefix = opts.channelPrefix ?? DEFAULT_PREFIX;
  const onError = opts.onError ?? (() => {});
  const stats = createStatsCounter();
  /** roomId -> channel, and back: the source of truth for what this node wants. */
  const rooms = new Map<string, string>();
  const byChannel = new Map<string, string>();
  /** A subscribe in flight, so a second caller waits for the same SSUBSCRIBE. */
  const pending = new Map<string, Promise<void>>();
  let handler: ((roomId: string, messages: ChatMessage[]) => void) | undefined;
  let membersHandler: ((roomId: string) => void) | undefined;
  let skippedHandler: ((roomId: string, seqs: number[]) => void) | undefined;
  let resubscribedHandler: ((roomIds: string[]) => void) | undefined;
  let closed = false;
  /**
   * Batches this bus handed to its own handler at publish time, by payload, so
   * that their echo from Redis is skipped. Bounded: an echo that never comes
   * (a failed publish, a subscription still in flight) ages out.
   */
  const echoes = new Map<string, number>();

  function expectEcho(payload: string): void {
    const now = Date.now();
    for (const [key, at] of echoes) {
      if (echoes.size < MAX_PENDING_ECHOES && now - at < ECHO_TTL_MS) break;
      echoes.delete(key);
    }
    echoes.set(payload, now);
  }

  function deliverOwn(roomId: string, messages: ChatMessage[]): void {
    if (closed || !rooms.has(roomId)) return;
    stats.received(messages.length);
    try {
      handler?.(roomId, messages);
    } catch (err) {
      onError(err);
    }
  }

  const onMessage = (channel: Buffer | string, payload: Buffer | string): void => {
    const roomId = byChannel.get(channel.toString());
    // Not ours (another bus on this client) or a message in flight across an unsubscribe.
    if (roomId === undefined) return;
    const text = payload.toString();
    // Our own batch, already delivered here when it was published.
    if (echoes.delete(text)) return;
    if (text === MEMBERS_CHANGED_PAYLOAD) {
      try {
        membersHandler?.(roomId);
      } catch (err) {
        onError(err);
      }
      return;
    }
    let messages: ChatMessage[];
    try {
      const skipped = decodeSkipped(text);
      if (skipped) {
        skippedHandler?.(roomId, skipped);
        return;
      }
      messages = decodeBatch(text, roomId);
    } catch (err) {
      stats.dropped();
      onError(err);
      return;
    }
    stats.received(messages.length);
    try {
      handler?.(roomId, messages);
    } catch (err) {
      onError(err);
    }
  };

  let retryTimer: NodeJS.Timeout | undefined;

  /**
   * Subscribes the rooms again and reports the ones done to the node; rooms
   * Redis refused (still loading, a permission, a shard moving) are tried
   * again with backoff rather than left deaf until the next reconnect.
   */
  function resubscribe(roomIds: string[], retryMs: number): void {
    void Promise.all(
      roomIds.map((roomId) => {
        const channel = rooms.get(roomId);
        if (channel === undefined) return undefined; // left meanwhile
        return sub.ssubscribe(channel).then(
          () => ({ roomId, ok: true }),
          (err: unknown) => {
            onError(err);
            return { roomId, ok: false };
          },
        );
      }),
    ).then((results) => {
      if (closed) return;
      const wanted = results.filter((r): r is { roomId: string; ok: boolean } => r !== undefined && rooms.has(r.roomId));
      const done = wanted.filter((r) => r.ok).map((r) => r.roomId);
      const failed = wanted.filter((r) => !r.ok).map((r) => r.roomId);
      if (done.length > 0) reportResubscribed(done);
      if (failed.length > 0 && !retryTimer) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          resubscribe(failed, Math.min(retryMs * 2, MAX_RESUBSCRIBE_RETRY_MS));
        }, retryMs);
      }
    });
  }

  function reportResubscribed(roomIds: string[]): void {
    try {
      resubscribedHandler?.(roomIds);
    } catch (err) {
      onError(err);
    }
  }

  // ioredis re-issues SSUBSCRIBE itself after a reconnect (autoResubscribe,
  // on by default; Cluster's sharded subscribers do the same). We re-issue our
  // own set anyway: SSUBSCRIBE is idempotent on the server, and this also
  // covers clients built with autoResubscribe: false and subscriptions whose
  // command was lost with the old connection. Then the node hears which rooms
  // were re-subscribed: what was published while the connection was down
  // never reached it.
  const onReady = (): void => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (rooms.size > 0) resubscribe([...rooms.keys()], RESUBSCRIBE_RETRY_MS);
  };

  sub.on('smessageBuffer', onMessage);
  sub.on('ready', onReady);

  function assertOpen(): void {
    if (closed) throw new ChatError('unavailable', 'The room bus is closed.');
  }

  return {
    async publish(roomId, messages) {
      assertOpen();
      if (messages.length === 0) return;
      const payload = encodeBatch(messages);
      // This node's own members need not wait for the round trip through Redis. After the
      // current turn, so that the acks released with this batch go out before its fan-out.
      if (rooms.has(roomId) && handler) {
        expectEcho(payload);
        const own = messages.slice();
        setImmediate(() => deliverOwn(roomId, own));
      }
      await pub.spublish(roomChannel(prefix, roomId), payload);
      stats.published();
    },
    async publishMembersChanged(roomId) {
      assertOpen();
      await pub.spublish(roomChannel(prefix, roomId), MEMBERS_CHANGED_PAYLOAD);
    },
    async publishSkipped(roomId, seqs) {
      assertOpen();
      if (seqs.length === 0) return;
      await pub.spublish(roomChannel(prefix, roomId), encodeSkipped(seqs));
    },
    subscribe(roomId) {
      try {
        assertOpen();
      } catch (err) {
        return Promise.reject(err);
      }
      if (rooms.has(roomId)) return pending.get(roomId) ?? Promise.resolve();
      const channel = roomChannel(prefix, roomId);
      rooms.set(roomId, channel);
      byChannel.set(channel, roomId);
      // Channels of different rooms may live on different Cluster shards: one command per room.
      const p = sub.ssubscribe(channel).then(
        () => {
          if (pending.get(roomId) === p) pending.delete(roomId);
        },
        (err: unknown) => {
          if (pending.get(roomId) === p) pending.delete(roomId);
          // Forget it so the caller may retry; a half-known subscription helps nobody.
          if (rooms.get(roomId) === channel) {
            rooms.delete(roomId);
            byChannel.delete(channel);
          }
          throw err;
        },
      );
      pending.set(roomId, p);
      return p;
    },
    async unsubscribe(roomId) {
      const channel = rooms.get(roomId);
      if (channel === undefined) return;
      rooms.delete(roomId);
      byChannel.delete(channel);
      pending.delete(roomId);
      if (!closed) await sub.sunsubscribe(channel);
    },
    onMessages(h) {
      handler = h;
    },
    onMembersChanged(h) {
      membersHandler = h;
    },
    onSkipped(h) {
      skippedHandler = h;
    },
    onResubscribed(h) {
      resubscribedHandler = h;
    },
    subscribedRooms() {
      return new Set(rooms.keys());
    },
    stats: () => stats.snapshot(),
    async close() {
      if (closed) return;
      closed = true;
      sub.off('smessageBuffer', onMessage);
      sub.off('ready', onReady);
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const channels = [...rooms.values()];
      rooms.clear();
      byChannel.clear();
      pending.clear();
      echoes.clear();
      // Best effort, and never queued behind a reconnect: on a connection that
      // is down the subscriptions died with it, and the client may be closing.
      if (sub.status !== undefined && sub.status !== 'ready') return;
      await Promise.all(channels.map((c) => sub.sunsubscribe(c).catch(onError)));
    },
  };
}
