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
    // A little garbage and a blocked loop to measure.
    const started = Date.now();
    while (Date.now() - started < 30) Array.from({ length: 1000 }, (_, i) => ({ i }));
    await new Promise((r) => setTimeout(r, 50));
    (globalThis as { gc?: () => void }).gc?.();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/chat_event_loop_delay_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toContain('chat_gc_pause_seconds');
  } finally {
    metrics.stopLoopMetrics();
  }
});
