import { count, gaugeValues, histogram, minus, plus, quantile } from '../src/prom';

const scrape = (okCounts: [number, number, number], sum: number) => `# HELP chat_ack_seconds From a message event to its ack
# TYPE chat_ack_seconds histogram
chat_ack_seconds_bucket{le="0.001",node="a"} ${okCounts[0]}
chat_ack_seconds_bucket{le="0.01",node="a"} ${okCounts[1]}
chat_ack_seconds_bucket{le="+Inf",node="a"} ${okCounts[2]}
chat_ack_seconds_sum{node="a"} ${sum}
chat_ack_seconds_count{node="a"} ${okCounts[2]}
chat_event_loop_delay_seconds{quantile="0.99",node="a"} 0.004
chat_event_loop_delay_seconds{quantile="0.99",node="b"} 0.012
chat_event_loop_delay_seconds{quantile="1",node="b"} 0.05`;

test('a window between two scrapes holds only what happened in it', () => {
  const window = minus(histogram(scrape([10, 20, 20], 0.1), 'chat_ack_seconds'), histogram(scrape([0, 10, 10], 0.05), 'chat_ack_seconds'));
  expect(count(window)).toBe(10);
  expect(window.sum).toBeCloseTo(0.05);
  // All ten in the first bucket: the median is interpolated half-way into it.
  expect(quantile(window, 0.5)).toBeCloseTo(0.0005);
});

test('a quantile is interpolated within its bucket, as histogram_quantile does', () => {
  const b = histogram(scrape([0, 100, 100], 0.3), 'chat_ack_seconds');
  expect(quantile(b, 0.5)).toBeCloseTo(0.0055);
  expect(quantile(histogram('', 'chat_ack_seconds'), 0.5)).toBeNaN();
});

test('gauge values come one per matching line', () => {
  expect(gaugeValues(scrape([0, 0, 0], 0), 'chat_event_loop_delay_seconds', { quantile: '0.99' })).toEqual([0.004, 0.012]);
  expect(gaugeValues(scrape([0, 0, 0], 0), 'chat_event_loop_delay_seconds', { quantile: '0.5' })).toEqual([]);
});

test('windows add up, and an empty one adds nothing', () => {
  const a = histogram(scrape([1, 2, 3], 0.5), 'chat_ack_seconds');
  const sum = plus(a, a);
  expect(sum.counts).toEqual([2, 4, 6]);
  expect(sum.sum).toBeCloseTo(1);
  expect(plus(histogram('', 'chat_ack_seconds'), a)).toEqual(a);
});
