/**
 * What the page remembers in localStorage: each guest nickName's userKey (so
 * a returning person keeps the name), the last nickName and avatar, and the
 * rooms entered lately. Storage may be unavailable (private mode): then
 * nothing is remembered and nothing fails.
 */
const KEYS = 'chat.userKeys';
const PROFILE = 'chat.profile';
const ROOMS = 'chat.recentRooms';
const RECENT_MAX = 8;

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: not remembered */
  }
}

/** Names are compared as the server compares them: NFC, trimmed. */
const nameKey = (nickName: string) => nickName.normalize('NFC').trim();

export function userKeyFor(nickName: string): string | undefined {
  const keys = read<Record<string, string>>(KEYS, {});
  return Object.prototype.hasOwnProperty.call(keys, nameKey(nickName)) ? keys[nameKey(nickName)] : undefined;
}

export function rememberUserKey(nickName: string, userKey: string): void {
  const keys = read<Record<string, string>>(KEYS, {});
  keys[nameKey(nickName)] = userKey;
  write(KEYS, keys);
}

export function lastProfile(): { nickName: string; headNum: number } {
  const p = read<{ nickName?: unknown; headNum?: unknown }>(PROFILE, {});
  return { nickName: typeof p.nickName === 'string' ? p.nickName : '', headNum: typeof p.headNum === 'number' ? p.headNum : 0 };
}

export function rememberProfile(nickName: string, headNum: number): void {
  write(PROFILE, { nickName, headNum });
}

export function recentRooms(): string[] {
  const rooms = read<unknown>(ROOMS, []);
  return Array.isArray(rooms) ? rooms.filter((r): r is string => typeof r === 'string').slice(0, RECENT_MAX) : [];
}

export function rememberRoom(name: string): void {
  write(ROOMS, [name, ...recentRooms().filter((r) => r !== name)].slice(0, RECENT_MAX));
}
