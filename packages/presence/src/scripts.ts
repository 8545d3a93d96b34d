import { readFileSync } from 'fs';
import path from 'path';
import type { Cluster, Redis } from 'ioredis';

/** A standalone ioredis client or a Cluster client; the caller owns it. */
export type RedisLike = Redis | Cluster;

/**
 * The Lua scripts of src/lua, registered on the caller's client as custom
 * commands. Names are prefixed so they cannot clash with commands other
 * packages define on a shared client; redefining them is harmless.
 */
const SCRIPTS = {
  chatPresenceJoin: 'join-3.lua',
  chatPresenceLeave: 'leave-3.lua',
  chatPresenceHeartbeat: 'heartbeat-1.lua',
  chatPresenceExpired: 'expired-1.lua',
  chatPresenceForgetNode: 'forget-node-1.lua',
} as const;

type Key = string;

/** The custom commands, typed. Every script's keys share one hash slot. */
export interface PresenceCommands {
  chatPresenceJoin(conns: Key, users: Key, seq: Key, entry: string, userId: string, nickName: string, headNum: string): Promise<number>;
  chatPresenceLeave(conns: Key, users: Key, seq: Key, entry: string, userId: string): Promise<[number, number, string]>;
  chatPresenceHeartbeat(nodes: Key, nodeId: string): Promise<number>;
  chatPresenceExpired(nodes: Key, ttlMs: string): Promise<string[]>;
  chatPresenceForgetNode(nodes: Key, nodeId: string, ttlMs: string): Promise<number>;
}

let sources: Map<string, { lua: string; numberOfKeys: number }> | undefined;

function loadSources(): Map<string, { lua: string; numberOfKeys: number }> {
  if (!sources) {
    sources = new Map();
    for (const [name, file] of Object.entries(SCRIPTS)) {
      // The file name carries the number of KEYS: name-N.lua.
      const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
      sources.set(name, { lua: readFileSync(path.join(__dirname, 'lua', file), 'utf8'), numberOfKeys });
    }
  }
  return sources;
}

export function defineCommands(redis: RedisLike): RedisLike & PresenceCommands {
  for (const [name, def] of loadSources()) redis.defineCommand(name, def);
  return redis as RedisLike & PresenceCommands;
}
