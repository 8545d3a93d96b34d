import type { PresenceBackend } from './backend';
import type { ConnRef } from './codec';
import { resolveOptions } from './options';
import type { Departure, PresenceOptions, PresenceStore } from './types';

/** How many connections of a node are removed concurrently while reaping. */
const REMOVE_BATCH = 64;

/**
 * The one implementation of PresenceStore's logic (timers, reaping, departure
 * reporting) over any backend. The memory twin and Redis differ only in the
 * backend they pass.
 */
export function createPresenceNode(backend: PresenceBackend, options: PresenceOptions): PresenceStore {
  const opts = resolveOptions(options);
  const { nodeId } = opts;
  let started = false;
  let closed = false;
  let beaten = false;
  let timer: NodeJS.Timeout | undefined;
  // At most one heartbeat and one reaping pass in flight; close() awaits both.
  let beatInFlight: Promise<void> | undefined;
  let reapInFlight: Promise<void> | undefined;

  const report = (err: unknown): void => {
    try {
      opts.onError(err);
    } catch {
      // onError itself failed: nothing left to tell, and a timer must not throw
    }
  };

  async function removeConnections(owner: string, refs: ConnRef[]): Promise<Departure[]> {
    const departures: Departure[] = [];
    for (let i = 0; i < refs.length; i += REMOVE_BATCH) {
      const batch = refs.slice(i, i + REMOVE_BATCH);
      const results = await Promise.all(batch.map((r) => backend.leave(owner, r.roomId, r.userId, r.connId)));
      results.forEach((res, j) => {
        const ref = batch[j];
        // Only the caller whose removal emptied the user's slot reports, so two
        // reapers racing over one dead node report each departure once.
        if (ref && res.removed && res.last && res.member) departures.push({ roomId: ref.roomId, member: res.member });
      });
    }
    return departures;
  }

  async function reapDeadNodes(): Promise<Departure[]> {
    const dead = (await backend.expiredNodes(opts.nodeTtlMs)).filter((n) => n !== nodeId);
    const departures: Departure[] = [];
    for (const deadNode of dead) {
      departures.push(...(await removeConnections(deadNode, await backend.nodeConnections(deadNode))));
      // Forget the node only once its index is drained; a crash before this
      // line leaves it registered, so the next pass (ours or another
      // survivor's) finishes the job.
      await backend.forgetNode(deadNode, opts.nodeTtlMs);
    }
    return departures;
  }

  async function beat(): Promise<void> {
    try {
      const wasRegistered = await backend.heartbeat(nodeId);
      if (beaten && !wasRegistered) {
        // We stalled past nodeTtlMs and survivors removed our connections.
        report(new Error(`presence: node ${nodeId} was presumed dead and reaped; its connections were removed`));
      }
      beaten = true;
    } catch (err) {
      report(err);
    }
  }

  async function reapPass(): Promise<void> {
    try {
      const departures = await reapDeadNodes();
      if (departures.length > 0) {
        try {
          opts.onDepartures(departures);
        } catch (err) {
          report(err);
        }
      }
    } catch (err) {
      report(err);
    }
  }

  /**
   * Heartbeats and reaping run side by side rather than in one sequence: a
   * long reaping pass (a dead node with many connections) must not delay our
   * own heartbeat past nodeTtlMs and get us reaped in turn.
   */
  function onTimer(): void {
    if (closed) return;
    beatInFlight ??= beat().finally(() => {
      beatInFlight = undefined;
    });
    reapInFlight ??= reapPass().finally(() => {
      reapInFlight = undefined;
    });
  }

  return {
    nodeId,
    async join(roomId, member, connId) {
      const info = { userId: member.userId, nickName: member.nickName, headNum: member.headNum };
      return { firstForUser: await backend.join(nodeId, roomId, info, connId) };
    },
    async leave(roomId, userId, connId) {
      const res = await backend.leave(nodeId, roomId, userId, connId);
      return res.member ? { lastForUser: res.last, member: res.member } : { lastForUser: res.last };
    },
    members: (roomId) => backend.members(roomId),
    isOnline: (roomId, userId) => backend.isOnline(roomId, userId),
    onlineCount: (roomId) => backend.onlineCount(roomId),
    isUserOnline: (userId) => backend.isUserOnline(userId),
    start() {
      if (started || closed) return;
      started = true;
      timer = setInterval(onTimer, opts.heartbeatIntervalMs).unref();
      onTimer(); // beat at once so the node is registered before its first connection ages
    },
    async removeOwnConnections() {
      return removeConnections(nodeId, await backend.nodeConnections(nodeId));
    },
    reapDeadNodes,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      // Let passes already talking to the backend finish, so nothing touches
      // the caller's client after close() resolves.
      await Promise.all([beatInFlight, reapInFlight]);
    },
  };
}
