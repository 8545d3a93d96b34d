import type { PresenceBackend } from './backend';
import type { ConnRef } from './codec';
import { resolveOptions } from './options';
import type { Departure, PresenceMember, PresenceOptions, PresenceStore } from './types';

/** How many connections of a node are removed (or restored) concurrently. */
const REMOVE_BATCH = 64;

interface OwnConnection {
  roomId: string;
  connId: string;
  member: PresenceMember;
}

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
  /**
   * Leaves the backend did not take (unreachable): the connection is gone, so
   * each is sent again after every successful heartbeat until it lands, and a
   * user's last one is reported through onDepartures, like a reaped one.
   */
  const failedLeaves = new Map<string, ConnRef>();
  /** The backend forgot this node and its connections are not all back yet (see `restoreOwnConnections`). */
  let restorePending = false;
  /** When the current run of successful heartbeats began; undefined while they fail. */
  let beatingSince: number | undefined;
  /**
   * This node's live connections, by room and connection id: what it adds back
   * when the backend has forgotten it (see `restoreOwnConnections`).
   */
  const own = new Map<string, OwnConnection>();
  const ownKey = (roomId: string, connId: string): string => `${roomId}\u0000${connId}`;
  /**
   * Joins in flight, by the same key. A backend's join may be several commands
   * (Redis: the node and user indexes first, then the room), so a leave of the
   * same connection sent meanwhile could run before the room entry exists and
   * leave it behind for good; a leave waits for the join instead.
   */
  const joining = new Map<string, Promise<boolean>>();

  let onDepartures: (departures: Departure[]) => void = () => {};
  let onRestored: (roomIds: string[]) => void = () => {};

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

  /**
   * Adds this node's live connections back after the backend forgot them, so
   * users still connected here are online again. A connection that leaves
   * meanwhile is dropped from `own` before its leave is sent, and each join
   * here is sent right after checking `own`, on the same ordered connection,
   * so a leave is never overtaken by a restoring join.
   */
  async function restoreOwnConnections(): Promise<void> {
    const rooms = new Set<string>();
    const entries = [...own.entries()];
    for (let i = 0; i < entries.length; i += REMOVE_BATCH) {
      const sends = entries.slice(i, i + REMOVE_BATCH).flatMap(([key, c]) => {
        if (own.get(key) !== c) return [];
        rooms.add(c.roomId);
        return [backend.join(nodeId, c.roomId, c.member, c.connId)];
      });
      await Promise.all(sends);
    }
    if (rooms.size === 0) return;
    try {
      onRestored([...rooms]);
    } catch (err) {
      report(err);
    }
  }

  /** Departures found in the background (reaping, retried leaves) go to onDepartures, whose errors go to onError. */
  function reportDepartures(departures: Departure[]): void {
    if (departures.length === 0) return;
    try {
      onDepartures(departures);
    } catch (err) {
      report(err);
    }
  }

  async function retryFailedLeaves(): Promise<void> {
    const pending = [...failedLeaves];
    try {
      // Leaves are idempotent: if this fails midway, the ones that landed are no-ops next time.
      const departures = await removeConnections(
        nodeId,
        pending.map(([, ref]) => ref),
      );
      for (const [key, ref] of pending) if (failedLeaves.get(key) === ref) failedLeaves.delete(key);
      reportDepartures(departures);
    } catch (err) {
      report(err); // tried again after the next heartbeat
    }
  }

  async function beat(): Promise<void> {
    try {
      const wasRegistered = await backend.heartbeat(nodeId);
      beatingSince ??= Date.now();
      if (beaten && !wasRegistered) {
        // Redis lost its data, or we stalled past nodeTtlMs and survivors reaped us.
        report(new Error(`presence: node ${nodeId} was no longer registered; adding its ${own.size} connection(s) back`));
        restorePending = true;
      }
      beaten = true;
    } catch (err) {
      beatingSince = undefined;
      report(err);
      return;
    }
    if (restorePending) await retryRestore();
    if (failedLeaves.size > 0) await retryFailedLeaves();
  }

  /** The heartbeat re-registered the node, so only this flag remembers that a restore is still owed. */
  async function retryRestore(): Promise<void> {
    try {
      await restoreOwnConnections();
      restorePending = false;
    } catch (err) {
      report(err); // tried again after the next heartbeat
    }
  }

  /**
   * Only a node that has been beating for a whole TTL judges others. After an
   * outage every node's last beat looks old, its own included: judging at once
   * would reap every live node (and announce all their users' leaves).
   */
  function mayReap(): boolean {
    return beatingSince !== undefined && Date.now() - beatingSince >= opts.nodeTtlMs;
  }

  async function reapPass(): Promise<void> {
    if (!mayReap()) return;
    try {
      reportDepartures(await reapDeadNodes());
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
      const key = ownKey(roomId, connId);
      const entry = { roomId, connId, member: info };
      own.set(key, entry);
      failedLeaves.delete(key);
      const sent = backend.join(nodeId, roomId, info, connId);
      joining.set(key, sent);
      try {
        return { firstForUser: await sent };
      } catch (err) {
        if (own.get(key) === entry) own.delete(key);
        throw err;
      } finally {
        if (joining.get(key) === sent) joining.delete(key);
      }
    },
    async leave(roomId, userId, connId) {
      const key = ownKey(roomId, connId);
      if (own.get(key)?.member.userId === userId) own.delete(key);
      await joining.get(key)?.catch(() => undefined);
      let res;
      try {
        res = await backend.leave(nodeId, roomId, userId, connId);
      } catch (err) {
        if (!own.has(key)) failedLeaves.set(key, { roomId, userId, connId });
        throw err;
      }
      return res.member ? { lastForUser: res.last, member: res.member } : { lastForUser: res.last };
    },
    members: (roomId) => backend.members(roomId),
    isOnline: (roomId, userId) => backend.isOnline(roomId, userId),
    onlineCount: (roomId) => backend.onlineCount(roomId),
    isUserOnline: (userId) => backend.isUserOnline(userId),
    onDepartures(handler) {
      onDepartures = handler;
    },
    onRestored(handler) {
      onRestored = handler;
    },
    start() {
      if (started || closed) return;
      started = true;
      timer = setInterval(onTimer, opts.heartbeatIntervalMs).unref();
      onTimer(); // beat at once so the node is registered before its first connection ages
    },
    async removeOwnConnections() {
      own.clear();
      failedLeaves.clear();
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
