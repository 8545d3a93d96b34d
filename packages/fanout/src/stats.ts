import type { BusStats } from './types';

/** The counters both bus implementations keep. */
export function createStatsCounter() {
  const s: BusStats = { publishedBatches: 0, receivedBatches: 0, receivedMessages: 0, droppedBatches: 0 };
  return {
    published(): void {
      s.publishedBatches += 1;
    },
    received(messages: number): void {
      s.receivedBatches += 1;
      s.receivedMessages += messages;
    },
    dropped(): void {
      s.droppedBatches += 1;
    },
    snapshot(): BusStats {
      return { ...s };
    },
  };
}
