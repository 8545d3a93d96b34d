import type { ChatMessage } from '@chat/protocol';
import { createDeliveryBatcher } from '../src/delivery-batcher';

const msg = (roomId: string, seq: number): ChatMessage => ({
  id: `m${seq}`,
  roomId,
  seq,
  userId: 'u',
  nickName: 'n',
  content: `c${seq}`,
  kind: 'user',
  sentAt: new Date(0).toISOString(),
});

describe('createDeliveryBatcher', () => {
  let clock = 0;
  let frames: Array<[string, number[]]>;
  const make = (windowMs: number, maxBatch = 100) =>
    createDeliveryBatcher({ windowMs, maxBatch, now: () => clock, flush: (roomId, ms) => frames.push([roomId, ms.map((m) => m.seq)]) });

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 1_000;
    frames = [];
  });
  afterEach(() => jest.useRealTimers());
  const advance = (ms: number) => {
    clock += ms;
    jest.advanceTimersByTime(ms);
  };

  test('the first push after a quiet window goes at once; pushes inside the window wait for its end, in order', () => {
    const b = make(10);
    b.push('r', [msg('r', 1)]);
    expect(frames).toEqual([['r', [1]]]);
    advance(3);
    b.push('r', [msg('r', 2)]);
    advance(2);
    b.push('r', [msg('r', 3), msg('r', 4)]);
    expect(frames).toHaveLength(1);
    advance(4);
    expect(frames).toHaveLength(1);
    advance(1); // 10 ms after the first frame
    expect(frames).toEqual([
      ['r', [1]],
      ['r', [2, 3, 4]],
    ]);
    // Quiet for a window: the next one goes at once again.
    advance(10);
    b.push('r', [msg('r', 5)]);
    expect(frames.at(-1)).toEqual(['r', [5]]);
    b.close();
  });

  test('rooms have windows of their own', () => {
    const b = make(10);
    b.push('a', [msg('a', 1)]);
    b.push('b', [msg('b', 1)]);
    b.push('a', [msg('a', 2)]);
    expect(frames).toEqual([
      ['a', [1]],
      ['b', [1]],
    ]);
    advance(10);
    expect(frames).toEqual([
      ['a', [1]],
      ['b', [1]],
      ['a', [2]],
    ]);
    b.close();
  });

  test('maxBatch pending messages go out before the window ends', () => {
    const b = make(10, 3);
    b.push('r', [msg('r', 1)]);
    b.push('r', [msg('r', 2), msg('r', 3)]);
    expect(frames).toHaveLength(1);
    b.push('r', [msg('r', 4)]);
    expect(frames).toEqual([
      ['r', [1]],
      ['r', [2, 3, 4]],
    ]);
    advance(10);
    expect(frames).toHaveLength(2);
    b.close();
  });

  test('window 0: one frame per push, nothing held', () => {
    const b = make(0);
    b.push('r', [msg('r', 1), msg('r', 2)]);
    b.push('r', [msg('r', 3)]);
    expect(frames).toEqual([
      ['r', [1, 2]],
      ['r', [3]],
    ]);
    expect(jest.getTimerCount()).toBe(0);
    b.close();
  });

  test('forget drops a room pending messages and its timer; close clears every timer and refuses pushes', () => {
    const b = make(10);
    b.push('a', [msg('a', 1)]);
    b.push('a', [msg('a', 2)]);
    b.push('b', [msg('b', 1)]);
    b.push('b', [msg('b', 2)]);
    expect(jest.getTimerCount()).toBe(2);
    b.forget('a');
    expect(jest.getTimerCount()).toBe(1);
    b.close();
    b.close();
    expect(jest.getTimerCount()).toBe(0);
    b.push('b', [msg('b', 3)]);
    advance(20);
    expect(frames).toEqual([
      ['a', [1]],
      ['b', [1]],
    ]);
  });
});
