import { MemberList, applyMembersDiff } from '../src';
import type { Member } from '@chat/protocol';

const m = (n: number, nick = `u${n}`, headNum = 0): Member => ({ userId: `user_${String(n).padStart(32, '0')}`, nickName: nick, headNum });

test('a full list replaces what was there', () => {
  const list = new MemberList();
  list.replace([m(1), m(2)]);
  list.replace([m(3)]);
  expect(list.list).toEqual([m(3)]);
});

test('a diff removes left, then adds joined, keeping the order of those who stay', () => {
  expect(applyMembersDiff([m(1), m(2), m(3)], { left: [m(2).userId], joined: [m(4)] })).toEqual([m(1), m(3), m(4)]);
});

test('a joined entry for a listed user replaces it in place (new display info)', () => {
  expect(applyMembersDiff([m(1), m(2)], { left: [], joined: [m(1, 'renamed', 7)] })).toEqual([m(1, 'renamed', 7), m(2)]);
});

test('left is applied before joined: a user who left and came back in one diff stays', () => {
  const after = applyMembersDiff([m(1), m(2)], { left: [m(1).userId], joined: [m(1, 'back')] });
  expect(after).toEqual([m(2), m(1, 'back')]);
});

test('unknown leavers are ignored; the input is not changed', () => {
  const before = [m(1)];
  expect(applyMembersDiff(before, { left: [m(9).userId], joined: [] })).toEqual([m(1)]);
  expect(before).toEqual([m(1)]);
});
