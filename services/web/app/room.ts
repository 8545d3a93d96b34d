import { ClientError } from '@chat/client';
import type { ChatClient, ChatMessage, ConnectionState, GuestSession, Member, OutgoingMessage } from '@chat/client';
import { avatar, byId, byTestId, el, timeOf } from './dom';

/** Stored messages read per "older" page. */
const OLDER_PAGE = 50;
/** Newest stored messages shown on entering. */
export const RECENT = 50;

/**
 * The room view: members, the message list (stored messages by seq, unsent
 * ones after them), the send box and the connection state. Everything the
 * server sent is put in as text (textContent), never as HTML.
 */
export class RoomView {
  private readonly list = byTestId('message-list');
  private readonly older = byId<HTMLButtonElement>('older');
  private readonly memberList = byTestId('member-list');
  private readonly onlineCount = byTestId('online-count');
  private readonly stateLabel = byTestId('connection-state');
  private readonly input = byTestId<HTMLTextAreaElement>('message-input');
  private readonly form = byId<HTMLFormElement>('compose');
  private readonly error = byTestId('room-error');
  private readonly leaveButton = byTestId<HTMLButtonElement>('leave-button');
  /** Stored messages on the page, by seq. */
  private readonly shown = new Map<number, HTMLElement>();
  private readonly pendingEls = new Map<string, HTMLElement>();
  private readonly headNums = new Map<string, number>();
  private readonly off: Array<() => void> = [];
  private oldest: number | undefined;
  private newest: number | undefined;
  private hasOlder = true;
  private loadingOlder = false;
  private closed = false;

  constructor(
    private readonly chat: ChatClient,
    private readonly session: GuestSession,
    private readonly onLeft: () => void,
  ) {}

  /** Shows the room and follows the client; resolves once the room is joined. */
  async open(): Promise<void> {
    const { chat, session } = this;
    this.reset();
    byTestId('room-name').textContent = session.chatroomName;
    byId('room').hidden = false;
    byId('entry').hidden = true;
    this.headNums.set(session.userId, session.headNum);
    this.off.push(
      chat.onState((s) => this.showState(s)),
      chat.onMessage((m) => m.roomId === session.roomId && this.addStored(m)),
      chat.onMembers((roomId, members) => roomId === session.roomId && this.showMembers(members)),
      chat.onOutbox((pending) => this.showPending(pending.filter((m) => m.roomId === session.roomId))),
      chat.onRemoved((roomId) => {
        if (roomId === session.roomId) void this.leave('The room owner removed you from this room.');
      }),
      chat.onError((err) => this.showError(err)),
    );
    this.showState(chat.state);
    const onSubmit = (e: Event) => {
      e.preventDefault();
      this.send();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    };
    const onScroll = () => {
      if (this.list.scrollTop < 60) void this.loadOlder();
    };
    const onOlder = () => void this.loadOlder();
    const onLeave = () => void this.leave();
    this.form.addEventListener('submit', onSubmit);
    this.input.addEventListener('keydown', onKey);
    this.list.addEventListener('scroll', onScroll, { passive: true });
    this.older.addEventListener('click', onOlder);
    this.leaveButton.addEventListener('click', onLeave);
    this.off.push(
      () => this.form.removeEventListener('submit', onSubmit),
      () => this.input.removeEventListener('keydown', onKey),
      () => this.list.removeEventListener('scroll', onScroll),
      () => this.older.removeEventListener('click', onOlder),
      () => this.leaveButton.removeEventListener('click', onLeave),
    );
    await chat.join(session.roomId, { recent: RECENT });
    this.input.focus();
  }

  private reset(): void {
    for (const node of [...this.list.children]) if (node !== this.older) node.remove();
    this.memberList.replaceChildren();
    this.onlineCount.textContent = '0';
    this.error.textContent = '';
    this.older.hidden = true;
  }

  private send(): void {
    const content = this.input.value;
    if (content.trim() === '') return;
    this.input.value = '';
    this.error.textContent = '';
    this.chat.send(this.session.roomId, content).catch((err: unknown) => {
      if (this.closed) return;
      this.showError(err instanceof ClientError ? err : new ClientError('internal', String(err)));
      // Not stored and not going to be: give the text back.
      if (this.input.value === '') this.input.value = content;
    });
  }

  // ---- messages ----------------------------------------------------------

  private addStored(m: ChatMessage): void {
    if (this.shown.has(m.seq)) return;
    const atBottom = this.isAtBottom();
    const node = this.render(m);
    // Live ones after the newest shown (and before the unsent ones), older pages at the top, anything else in seq order.
    let after: number | undefined;
    if (this.newest !== undefined && m.seq > this.newest) after = this.newest;
    else if (this.oldest === undefined || m.seq < this.oldest) after = undefined;
    else for (const s of this.shown.keys()) if (s < m.seq && (after === undefined || s > after)) after = s;
    if (after === undefined) this.older.after(node);
    else this.shown.get(after)!.after(node);
    this.shown.set(m.seq, node);
    if (this.oldest === undefined || m.seq < this.oldest) this.oldest = m.seq;
    if (this.newest === undefined || m.seq > this.newest) this.newest = m.seq;
    this.updateOlder();
    if (atBottom) this.scrollToBottom();
  }

  private render(m: ChatMessage): HTMLElement {
    if (m.kind === 'system') {
      const node = el('div', { className: 'sys', text: m.content, testId: 'message' });
      node.dataset.seq = String(m.seq);
      return node;
    }
    const meta = el('div', { className: 'meta' }, el('b', { text: m.nickName }), document.createTextNode(timeOf(m.sentAt)));
    const node = el(
      'div',
      { className: m.userId === this.session.userId ? 'msg mine' : 'msg', testId: 'message' },
      avatar(this.headNums.get(m.userId) ?? 0, m.nickName),
      meta,
      el('div', { className: 'text', text: m.content }),
    );
    node.dataset.seq = String(m.seq);
    return node;
  }

  /** Unsent messages, after the stored ones: "sending…" on the first try, then marked as not sent yet. */
  private showPending(pending: OutgoingMessage[]): void {
    const atBottom = this.isAtBottom();
    const ids = new Set(pending.map((m) => m.clientMsgId));
    for (const [id, node] of this.pendingEls) {
      if (ids.has(id)) continue;
      node.remove();
      this.pendingEls.delete(id);
    }
    for (const m of pending) {
      let node = this.pendingEls.get(m.clientMsgId);
      if (!node) {
        node = el(
          'div',
          { className: 'msg mine pending', testId: 'pending-message' },
          avatar(this.session.headNum, this.session.nickName),
          el('div', { className: 'meta' }, el('b', { text: this.session.nickName })),
          el('div', { className: 'text', text: m.content }),
          el('div', { className: 'status' }),
        );
        this.pendingEls.set(m.clientMsgId, node);
      }
      const unsent = m.attempts > 1 || m.lastError !== undefined || m.state !== 'sending';
      node.dataset.state = unsent ? 'unsent' : 'sending';
      node.querySelector('.status')!.textContent = unsent ? 'not sent yet: will retry' : 'sending…';
      this.list.append(node);
    }
    if (atBottom) this.scrollToBottom();
  }

  private async loadOlder(): Promise<void> {
    if (this.loadingOlder || !this.hasOlder || this.oldest === undefined || this.oldest <= 1) return;
    this.loadingOlder = true;
    this.older.disabled = true;
    const height = this.list.scrollHeight;
    const top = this.list.scrollTop;
    try {
      const page = await this.chat.history(this.session.roomId, { before: this.oldest, limit: OLDER_PAGE });
      if (this.closed) return;
      for (const m of page.messages) this.addStored(m);
      this.hasOlder = page.hasMore;
      // Keep what the reader was looking at in place.
      this.list.scrollTop = top + (this.list.scrollHeight - height);
    } catch (err) {
      this.showError(err instanceof ClientError ? err : new ClientError('internal', String(err)));
    } finally {
      this.loadingOlder = false;
      this.older.disabled = false;
      this.updateOlder();
    }
  }

  private updateOlder(): void {
    this.older.hidden = !this.hasOlder || this.oldest === undefined || this.oldest <= 1;
  }

  private isAtBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 48;
  }

  private scrollToBottom(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  // ---- members and state -------------------------------------------------

  private showMembers(members: Member[]): void {
    for (const m of members) this.headNums.set(m.userId, m.headNum);
    this.memberList.replaceChildren(
      ...members.map((m) => {
        const item = el('li', { testId: 'member' }, avatar(m.headNum, m.nickName), el('span', { text: m.nickName }));
        item.dataset.userId = m.userId;
        return item;
      }),
    );
    this.onlineCount.textContent = String(members.length);
  }

  private showState(state: ConnectionState): void {
    this.stateLabel.textContent = state;
    this.stateLabel.className = `state ${state}`;
  }

  private showError(err: ClientError): void {
    const text: Partial<Record<string, string>> = {
      too_large: 'That message is too long (at most 4,000 characters).',
      rate_limited: 'Slow down a little.',
      unauthorized: 'Your session has ended. Leave and enter again.',
      not_found: 'This room is not available.',
    };
    this.error.textContent = text[err.code] ?? err.message;
  }

  /** Leaves the room and goes back to the entry page. */
  async leave(reason?: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.off.splice(0)) off();
    try {
      await this.chat.leave(this.session.roomId);
    } catch {
      /* leaving anyway */
    }
    this.chat.close();
    byId('room').hidden = true;
    byId('entry').hidden = false;
    this.onLeft();
    if (reason) byTestId('entry-error').textContent = reason;
  }
}
