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
  const message: ChatMessage = { id: 'm-1', roomId: 'room_1', seq: 7, userId: 'user_1', nickName: 'Ann', content: secret, sentAt: new Date(0).toISOString(), kind: 'user' };
  observer.publishGivenUp!('room_1', [message]);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ roomId: 'room_1', ids: ['m-1'], seqs: [7] });
  expect(lines[0]).not.toContain(secret);
});
