import { DEFAULT_PREFIX, roomChannel } from './keys';
import { createRoomBus } from './room-bus';
import type { BusTransport, MeteredRoomBus } from './types';

/**
 * The Redis commands and events the transport uses. Both ioredis `Redis` and
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

export interface RedisBusOptions {
  /** Channels are `<channelPrefix>:room:{<roomId>}`. Default `chat`. */
  channelPrefix?: string;
  /** Malformed payloads, a throwing handler, failed re-subscriptions. Never thrown. */
  onError?: (err: unknown) => void;
}

/**
 * Redis 7 sharded pub/sub: one channel per room, so a node only receives
 * rooms it subscribed (interest routing), on a standalone Redis and on a
 * Cluster alike (where each room's traffic stays on one shard).
 *
 * `pub` may be the node's shared command client; `sub` must be dedicated to
 * subscriptions (a connection in subscriber mode cannot run commands). It may
 * be shared with a transport of a different prefix (each only reads its own
 * channels), not with one of the same prefix.
 */
export function createRedisTransport(pub: ShardedPubSubClient, sub: ShardedPubSubClient, opts: RedisBusOptions = {}): BusTransport {
  const prefix = opts.channelPrefix ?? DEFAULT_PREFIX;
  const onError = opts.onError ?? (() => {});
  /** roomId -> channel, and back: the source of truth for what this node wants. */
  const rooms = new Map<string, string>();
  const byChannel = new Map<string, string>();
  /** A subscribe in flight, so a second caller waits for the same SSUBSCRIBE. */
  const pending = new Map<string, Promise<void>>();
  let onPayload: (roomId: string, payload: string) => void = () => {};
  let onResubscribed: (roomIds: string[]) => void = () => {};
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const onMessage = (channel: Buffer | string, payload: Buffer | string): void => {
    const roomId = byChannel.get(channel.toString());
    // Not ours (another transport on this client) or a message in flight across an unsubscribe.
    if (roomId !== undefined) onPayload(roomId, payload.toString());
  };

  /**
   * Subscribes the rooms again and reports the ones done; rooms Redis refused
   * (still loading, a permission, a shard moving) are tried again with backoff
   * rather than left deaf until the next reconnect.
   */
  function resubscribe(roomIds: string[], retryMs: number): void {
    const still = roomIds.flatMap((roomId) => {
      const channel = rooms.get(roomId);
      return channel === undefined ? [] : [{ roomId, channel }]; // left meanwhile: not again
    });
    void Promise.all(
      still.map(({ roomId, channel }) =>
        sub.ssubscribe(channel).then(
          () => ({ roomId, ok: true }),
          (err: unknown) => {
            onError(err);
            return { roomId, ok: false };
          },
        ),
      ),
    ).then((results) => {
      if (closed) return;
      const wanted = results.filter((r) => rooms.has(r.roomId));
      const done = wanted.filter((r) => r.ok).map((r) => r.roomId);
      const failed = wanted.filter((r) => !r.ok).map((r) => r.roomId);
      if (done.length > 0) onResubscribed(done);
      if (failed.length > 0 && !retryTimer) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          resubscribe(failed, Math.min(retryMs * 2, MAX_RESUBSCRIBE_RETRY_MS));
        }, retryMs);
      }
    });
  }

  // After a reconnect the node's own set is subscribed again (SSUBSCRIBE is
  // idempotent, so this also covers clients that re-subscribe by themselves
  // and subscriptions whose command was lost with the old connection), then
  // reported: what was published while the connection was down never arrived.
  const onReady = (): void => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (rooms.size > 0) resubscribe([...rooms.keys()], RESUBSCRIBE_RETRY_MS);
  };

  sub.on('smessageBuffer', onMessage);
  sub.on('ready', onReady);

  return {
    localEcho: false,
    async publish(roomId, payload) {
      await pub.spublish(roomChannel(prefix, roomId), payload);
    },
    subscribe(roomId) {
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
    onPayload(h) {
      onPayload = h;
    },
    onResubscribed(h) {
      onResubscribed = h;
    },
    isSubscribed: (roomId) => rooms.has(roomId),
    subscribedRooms: () => new Set(rooms.keys()),
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
      // Best effort, and never queued behind a reconnect: on a connection that
      // is down the subscriptions died with it, and the client may be closing.
      if (sub.status !== undefined && sub.status !== 'ready') return;
      await Promise.all(channels.map((c) => sub.sunsubscribe(c).catch(onError)));
    },
  };
}

/** A room bus on Redis sharded pub/sub. */
export function createRedisBus(pub: ShardedPubSubClient, sub: ShardedPubSubClient, opts: RedisBusOptions = {}): MeteredRoomBus {
  return createRoomBus(createRedisTransport(pub, sub, opts), opts);
}
