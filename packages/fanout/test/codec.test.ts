import { decodeEvent, encodeEvent } from '../src';
import type { BusEvent } from '../src';
import { msg } from './helpers';

describe('bus codec', () => {
  const room = 'room_1';
  test.each<[string, BusEvent]>([
    ['messages', { kind: 'messages', messages: [msg(room, 1), msg(room, 2)] }],
    ['skipped', { kind: 'skipped', seqs: [4, 5] }],
    ['membersChanged', { kind: 'membersChanged' }],
    ['revoked', { kind: 'revoked', userId: 'user_x' }],
  ])('%s round-trips', (_kind, event) => {
    expect(decodeEvent(encodeEvent(event), room)).toEqual(event);
  });

  test('reads the payloads earlier versions send, so nodes of both versions share a channel during an upgrade', () => {
    expect(decodeEvent(JSON.stringify([msg(room, 3)]), room)).toEqual({ kind: 'messages', messages: [msg(room, 3)] });
    expect(decodeEvent('{"membersChanged":true}', room)).toEqual({ kind: 'membersChanged' });
    expect(decodeEvent('{"skipped":[7]}', room)).toEqual({ kind: 'skipped', seqs: [7] });
  });

  test.each([
    'not json',
    '42',
    'null',
    '[]',
    '{"what":1}',
    '{"skipped":[]}',
    '{"skipped":["x"]}',
    '{"revoked":{}}',
    '{"revoked":null}',
    JSON.stringify([{ ...msg(room, 1), seq: 'x' }]),
    JSON.stringify([msg('another', 1)]),
  ])('refuses %s', (payload) => {
    expect(() => decodeEvent(payload, room)).toThrow();
  });
});
