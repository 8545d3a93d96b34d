import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { Ack, ChatMessage, MembersDiff, MembersUpdate, MessageBatch } from '@chat/protocol';
import { waitUntil } from './wait';

/** A connected test client that records everything it receives from the moment it connects. */
export interface TestClient {
  socket: Socket;
  /** Every message received, from `message` events and from `messages` batches alike. */
  messages: ChatMessage[];
  /** `messages` events as received (sockets connected with `delivery: 'batch'`). */
  batches: MessageBatch[];
  /** How many `message` events arrived. */
  singleMessages: number;
  members: MembersUpdate[];
  membersDiffs: MembersDiff[];
  errors: Array<{ code: string; event: string }>;
  /** `resumed` events (a handshake with roomId and afterSeq). */
  resumed: Array<{ roomId: string; resumed: boolean; newestSeq: number }>;
  request<T extends object = object>(event: string, payload: unknown, timeoutMs?: number): Promise<Ack<T>>;
  waitForMessage(pred: (m: ChatMessage) => boolean, what?: string, timeoutMs?: number): Promise<ChatMessage>;
  waitForMembers(pred: (u: MembersUpdate) => boolean, what?: string, timeoutMs?: number): Promise<MembersUpdate>;
  waitForMembersDiff(pred: (d: MembersDiff) => boolean, what?: string, timeoutMs?: number): Promise<MembersDiff>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  roomId?: string;
  delivery?: 'each' | 'batch';
  auth?: unknown;
  transports?: Array<'websocket' | 'polling'>;
  parser?: unknown;
  timeoutMs?: number;
  /** Request headers (sent on the polling transport; browsers cannot set them on a WebSocket). */
  extraHeaders?: Record<string, string>;
}

/** Connects; rejects with the server's `connect_error` message (e.g. `unauthorized`). */
export function connect(url: string, opts: ConnectOptions = {}): Promise<TestClient> {
  const auth = opts.auth ?? { token: opts.token, ...(opts.roomId ? { roomId: opts.roomId } : {}), ...(opts.delivery ? { delivery: opts.delivery } : {}) };
  const socket = io(url, {
    path: '/socket.io',
    auth: auth as Record<string, unknown>,
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    withCredentials: true,
    timeout: opts.timeoutMs ?? 5000,
    ...(opts.parser ? { parser: opts.parser as never } : {}),
    ...(opts.extraHeaders ? { extraHeaders: opts.extraHeaders } : {}),
  });
  const client: TestClient = {
    socket,
    messages: [],
    batches: [],
    singleMessages: 0,
    members: [],
    membersDiffs: [],
    errors: [],
    resumed: [],
    async request(event, payload, timeoutMs = 5000) {
      return socket.timeout(timeoutMs).emitWithAck(event, payload);
    },
    waitForMessage(pred, what = 'message', timeoutMs = 5000) {
      return waitUntil(() => client.messages.find(pred), { timeoutMs, what });
    },
    waitForMembers(pred, what = 'members update', timeoutMs = 5000) {
      return waitUntil(() => client.members.find(pred), { timeoutMs, what });
    },
    waitForMembersDiff(pred, what = 'members diff', timeoutMs = 5000) {
      return waitUntil(() => client.membersDiffs.find(pred), { timeoutMs, what });
    },
    close() {
      socket.disconnect();
    },
  };
  socket.on('message', (m: ChatMessage) => {
    client.singleMessages++;
    client.messages.push(m);
  });
  socket.on('messages', (b: MessageBatch) => {
    client.batches.push(b);
    client.messages.push(...b.messages);
  });
  socket.on('members', (u: MembersUpdate) => client.members.push(u));
  socket.on('members_diff', (d: MembersDiff) => client.membersDiffs.push(d));
  socket.on('chat_error', (e: { code: string; event: string }) => client.errors.push(e));
  socket.on('resumed', (r: { roomId: string; resumed: boolean; newestSeq: number }) => client.resumed.push(r));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    // A CONNECT payload the server's parser refuses ends the transport without a connect_error.
    socket.once('disconnect', (reason: string) => reject(new Error(`disconnected: ${reason}`)));
    socket.once('connect_error', (err: Error) => {
      socket.disconnect();
      reject(err);
    });
  });
}

/** How a handshake ends: 'ok' (the connection is closed again at once) or the server's refusal message. */
export function connectOutcome(url: string, opts: ConnectOptions): Promise<string> {
  return connect(url, opts).then(
    (c) => {
      c.close();
      return 'ok';
    },
    (err: Error) => err.message,
  );
}

export function connectError(url: string, opts: ConnectOptions): Promise<string> {
  return connect(url, opts).then(
    (c) => {
      c.close();
      throw new Error('expected the connection to be refused');
    },
    (err: Error) => err.message,
  );
}

/** Clients a test opens, to close together after it (in `afterEach`). */
export interface ClientPool {
  open(url: string, opts?: ConnectOptions): Promise<TestClient>;
  closeAll(): void;
}

export function createClientPool(): ClientPool {
  const clients: TestClient[] = [];
  return {
    async open(url, opts) {
      const c = await connect(url, opts);
      clients.push(c);
      return c;
    },
    closeAll: () => clients.splice(0).forEach((c) => c.close()),
  };
}
