import { MEMBERS_STEP_SOCKETS, membersIntervalFor } from '../src/members-interval';

test('the members interval grows by one base interval per 500 local sockets', () => {
  expect(membersIntervalFor(250, 0)).toBe(250);
  expect(membersIntervalFor(250, 1)).toBe(250);
  expect(membersIntervalFor(250, MEMBERS_STEP_SOCKETS)).toBe(250);
  expect(membersIntervalFor(250, MEMBERS_STEP_SOCKETS + 1)).toBe(500);
  expect(membersIntervalFor(250, 5000)).toBe(2500);
});
