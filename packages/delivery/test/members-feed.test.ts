import { createMembersFeed, diffMembers } from '../src/members-feed';

const m = (userId: string, nickName = userId, headNum = 1) => ({ userId, nickName, headNum });

describe('diffMembers', () => {
  test('names joins, leaves and changed display info', () => {
    const before = new Map([m('a'), m('b'), m('c')].map((x) => [x.userId, x]));
    expect(diffMembers(before, [m('a'), m('c', 'cee'), m('d')])).toEqual({ joined: [m('c', 'cee'), m('d')], left: ['b'] });
    expect(diffMembers(before, [m('a'), m('b'), m('c')])).toEqual({ joined: [], left: [] });
  });
});

describe('createMembersFeed', () => {
  test('small rooms: a full list to everyone on every tick', () => {
    const feed = createMembersFeed({ fullListMax: 3 });
    feed.socketJoined('r', 's1');
    expect(feed.next('r', [m('a')])).toEqual({ fullToAll: true, fullTo: [] });
    expect(feed.next('r', [m('a'), m('b')])).toEqual({ fullToAll: true, fullTo: [] });
  });

  test('big rooms: the full list once per new socket, then only changes', () => {
    const feed = createMembersFeed({ fullListMax: 1 });
    feed.socketJoined('r', 's1');
    feed.socketJoined('r', 's2');
    // The node's first list of the room goes to everyone.
    expect(feed.next('r', [m('a'), m('b')])).toEqual({ fullToAll: true, fullTo: [] });
    feed.socketJoined('r', 's3');
    expect(feed.next('r', [m('a'), m('b'), m('c')])).toEqual({
      fullToAll: false,
      fullTo: ['s3'],
      diff: { roomId: 'r', joined: [m('c')], left: [], count: 3 },
    });
    // Nothing changed, nobody new: nothing to send.
    expect(feed.next('r', [m('a'), m('b'), m('c')])).toEqual({ fullToAll: false, fullTo: [] });
    // A socket that left before its first tick is not sent a list.
    feed.socketJoined('r', 's4');
    feed.socketLeft('r', 's4');
    expect(feed.next('r', [m('a'), m('c')])).toEqual({
      fullToAll: false,
      fullTo: [],
      diff: { roomId: 'r', joined: [], left: ['b'], count: 2 },
    });
  });

  test('forget drops the room: the next list goes to everyone again', () => {
    const feed = createMembersFeed({ fullListMax: 1 });
    feed.next('r', [m('a'), m('b')]);
    feed.forget('r');
    expect(feed.next('r', [m('a'), m('b'), m('c')])).toEqual({ fullToAll: true, fullTo: [] });
  });
});
