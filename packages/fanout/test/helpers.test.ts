import { POLL_MS, waitFor } from './helpers';

// Some callers of waitFor publish to Redis on every check (probing until delivery resumes):
// a poll on every event-loop turn would publish thousands of messages a second.
test('waitFor checks every few milliseconds, not on every event-loop turn', async () => {
  let checks = 0;
  const started = Date.now();
  await waitFor(() => {
    checks++;
    return Date.now() - started >= 100;
  }, '100 ms to pass');
  // 100 ms at one check per POLL_MS, with room for timers firing a little early.
  expect(checks).toBeLessThanOrEqual(Math.ceil((100 / POLL_MS) * 1.5) + 2);
});
