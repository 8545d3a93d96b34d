import { ClientError, connect, createSession, roomCount } from '@chat/client';
import { byId, byTestId, el, paintAvatar } from './dom';
import { RoomView } from './room';
import { lastProfile, recentRooms, rememberProfile, rememberRoom, rememberUserKey, userKeyFor } from './storage';

/**
 * The entry page: nickname, avatar number, room name, the live room count and
 * the rooms this browser entered lately. Entering creates a guest session
 * (with the nickName's remembered userKey) and opens the room view.
 */
const ORIGIN = location.origin;
const COUNT_EVERY_MS = 10_000;

const form = byId<HTMLFormElement>('entry-form');
const nick = byTestId<HTMLInputElement>('nick-input');
const avatarInput = byTestId<HTMLInputElement>('avatar-input');
const room = byTestId<HTMLInputElement>('room-input');
const enter = byTestId<HTMLButtonElement>('enter-button');
const entryError = byTestId('entry-error');
const preview = byId('avatar-preview');
const count = byTestId('room-count');
let countTimer: ReturnType<typeof setInterval> | undefined;

function headNum(): number {
  const n = Number(avatarInput.value);
  return Number.isInteger(n) && n >= 0 && n <= 1000 ? n : 0;
}

function updatePreview(): void {
  paintAvatar(preview, headNum(), nick.value || '?');
}

async function refreshCount(): Promise<void> {
  try {
    count.textContent = String(await roomCount(ORIGIN));
  } catch {
    /* keep the last count */
  }
}

function showEntry(): void {
  const recent = recentRooms();
  const list = byTestId('recent-rooms');
  list.replaceChildren(
    ...recent.map((name) => {
      const pick = el('button', { className: 'secondary', text: name });
      pick.type = 'button';
      pick.addEventListener('click', () => {
        room.value = name;
        if (nick.value.trim()) form.requestSubmit();
        else nick.focus();
      });
      return el('li', {}, pick);
    }),
  );
  byId('recent').hidden = recent.length === 0;
  enter.disabled = false;
  void refreshCount();
  countTimer ??= setInterval(() => void refreshCount(), COUNT_EVERY_MS);
}

const MESSAGES: Partial<Record<string, string>> = {
  nickname_taken: 'That nickname belongs to someone else. Choose another one.',
  bad_request: 'Check the nickname and room name (no control or invisible characters).',
  rate_limited: 'Too many attempts; wait a moment.',
  not_found: 'That room is not open to you.',
  network: 'The server cannot be reached.',
  forbidden: 'Guest sessions are turned off on this server.',
};

async function onEnter(e: Event): Promise<void> {
  e.preventDefault();
  const nickName = nick.value.trim();
  const chatroomName = room.value.trim();
  if (!nickName || !chatroomName) {
    entryError.textContent = 'Enter a nickname and a room name.';
    return;
  }
  entryError.textContent = '';
  enter.disabled = true;
  try {
    const userKey = userKeyFor(nickName);
    const session = await createSession(ORIGIN, { nickName, chatroomName, headNum: headNum(), ...(userKey ? { userKey } : {}) });
    if (session.userKey) rememberUserKey(session.nickName, session.userKey);
    rememberProfile(session.nickName, session.headNum);
    rememberRoom(session.chatroomName);
    if (countTimer) clearInterval(countTimer);
    countTimer = undefined;
    const chat = connect(session, { url: ORIGIN });
    const view = new RoomView(chat, session, showEntry);
    await view.open().catch(async (err: unknown) => {
      await view.leave();
      throw err;
    });
  } catch (err) {
    const code = err instanceof ClientError ? err.code : 'internal';
    entryError.textContent = MESSAGES[code] ?? (err instanceof Error ? err.message : String(err));
    enter.disabled = false;
  }
}

const profile = lastProfile();
nick.value = profile.nickName;
avatarInput.value = String(profile.headNum);
updatePreview();
nick.addEventListener('input', updatePreview);
avatarInput.addEventListener('input', updatePreview);
form.addEventListener('submit', (e) => void onEnter(e));
showEntry();
(profile.nickName ? room : nick).focus();
