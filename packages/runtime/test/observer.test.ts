import { Writable } from 'node:stream';
import type { ChatMessage } from '@chat/protocol';
import { createLogger, createMetrics } from '@chat/observability';
import { chatObserver } from '../src';

test('a publish given up is logged with message ids and seqs, never their contents', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ nodeId: 'n1', destination });
  const observer = chatObserver(logger, createMetrics({ nodeId: 'n1', role: 'test', defaultMetrics: false }));
  const secret = 'the content nobody else may read';
  const message: ChatMessage = {
    id: 'm-1',
    roomId: 'room_1',
    seq: 7,
    userId: 'user_1',
    nickName: 'Ann',
    content: secret,
    sentAt: new Date(0).toISOString(),
    kind: 'user',
  };
  observer.publishGivenUp!('room_1', [message]);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ roomId: 'room_1', ids: ['m-1'], seqs: [7] });
  expect(lines[0]).not.toContain(secret);
});

test('/metrics shows the event-loop delay and GC pauses', async () => {
  const metrics = createMetrics({ nodeId: 'n2', role: 'test', defaultMetrics: false });
  try {
    // The sampler records from its second tick on: let it run, then block the loop and make a little garbage.
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    while (Date.now() - started < 30) Array.from({ length: 1000 }, (_, i) => ({ i }));
    await new Promise((r) => setTimeout(r, 50));
    (globalThis as { gc?: () => void }).gc?.();
    const text = await metrics.registry.metrics();
    // The 30 ms block made one 10 ms timer run at least 20 ms late: the max is above it, the period taken out.
    const max = Number(/chat_event_loop_delay_seconds\{quantile="1"[^}]*\} (\S+)/.exec(text)?.[1]);
    expect(max).toBeGreaterThanOrEqual(0.015);
    // Most ticks were on time: the median is below the 10 ms period a raw sample always includes.
    const median = Number(/chat_event_loop_delay_seconds\{quantile="0.5"[^}]*\} (\S+)/.exec(text)?.[1]);
    expect(median).toBeLessThan(0.009);
    expect(text).toContain('chat_gc_pause_seconds');
  } finally {
    metrics.stopLoopMetrics();
  }
});
