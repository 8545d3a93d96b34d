import type { ChatMessage } from '@chat/protocol';
import { newSession } from '../http';
import { waitUntil } from '../wait';
import { lazyTarget } from './context';
import type { WireContext } from './context';

/** Seqs run without a hole or a repeat from `from` (a room where no send was refused). */
function expectContiguous(messages: ChatMessage[], from: number): void {
  expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => from + i));
}

/** Resume: a socket that comes back with the last seq it had gets exactly what it missed, then live. */
export function resumeSuite(ctx: WireContext): void {
  const t = lazyTarget(ctx);

  describe('resume', () => {
    test.each(['each', 'batch'] as const)(
      'join with afterSeq replays every stored message after it, then live ones, none twice, none missing, while others send (delivery %s)',
      async (delivery) => {
        const a = await newSession(t.url);
        const writer = await ctx.open(t.url, { token: a.token, roomId: a.roomId });
        await writer.waitForMessage((m) => m.event === 'join', 'the writer in the room');
        const first: ChatMessage[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await writer.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: `before ${i}` });
          if (!r.ok) throw new Error(JSON.stringify(r.error));
          first.push(r.message);
        }
        const afterSeq = first[3]!.seq;
        const b = await newSession(t.url, { chatroomName: a.chatroomName });
        const reader = await ctx.open(t.url, { token: b.token, delivery });
        // The writer keeps sending while the reader resumes: the seam between replay and live is under load.
        const during = Promise.all(
          Array.from({ length: 20 }, (_, i) => writer.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: `during ${i}` })),
        );
        const ack = await reader.request<{ resumed: boolean; newestSeq: number }>('join', { roomId: a.roomId, afterSeq });
        if (!ack.ok) throw new Error(JSON.stringify(ack.error));
        expect(ack.resumed).toBe(true);
        // By the ack, everything up to newestSeq has arrived (the stored part first), without a hole.
        expect(ack.newestSeq).toBeGreaterThanOrEqual(first[9]!.seq);
        expect(reader.messages.length).toBeGreaterThanOrEqual(ack.newestSeq - afterSeq);
        expectContiguous(reader.messages, afterSeq + 1);
        const sent = (await during).map((r) => {
          if (!r.ok) throw new Error(JSON.stringify(r.error));
          return r.message;
        });
        const marker = await writer.request<{ message: ChatMessage }>('message', { roomId: a.roomId, content: 'after' });
        if (!marker.ok) throw new Error('marker failed');
        await reader.waitForMessage((m) => m.id === marker.message.id, 'the marker, live');
        expectContiguous(reader.messages, afterSeq + 1);
        for (const m of [...first.slice(4), ...sent]) expect(reader.messages.filter((x) => x.id === m.id)).toHaveLength(1);
      },
    );

    test('a handshake with roomId and afterSeq replays too, and says so with `resumed`', async () => {
      const a = await newSession(t.url);
      const writer = await ctx.open(t.url, { token: a.token, roomId: a.roomId });
      const join = await writer.waitForMessage((m) => m.event === 'join', 'own join');
      for (let i = 0; i < 5; i++) expect((await writer.request('message', { roomId: a.roomId, content: `h${i}` })).ok).toBe(true);
      const reader = await ctx.open(t.url, { auth: { token: a.token, roomId: a.roomId, afterSeq: join.seq } });
      await waitUntil(() => reader.resumed.length === 1, { what: 'the resumed event' });
      expect(reader.resumed[0]).toEqual({ roomId: a.roomId, resumed: true, newestSeq: join.seq + 5 });
      expect(reader.messages.map((m) => m.content)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    });

    test('forward paging over the socket: history {after} returns the oldest page after a seq', async () => {
      const a = await newSession(t.url);
      const c = await ctx.open(t.url, { token: a.token, roomId: a.roomId });
      const join = await c.waitForMessage((m) => m.event === 'join', 'own join');
      for (let i = 0; i < 6; i++) await c.request('message', { roomId: a.roomId, content: `f${i}` });
      const page = await c.request<{ messages: ChatMessage[]; hasMore: boolean }>('history', { roomId: a.roomId, after: join.seq, limit: 4 });
      if (!page.ok) throw new Error('history failed');
      expect(page.messages.map((m) => m.content)).toEqual(['f0', 'f1', 'f2', 'f3']);
      expect(page.hasMore).toBe(true);
    });
  });
}
