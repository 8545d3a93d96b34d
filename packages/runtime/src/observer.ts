import type { ChatObserver } from '@chat/chat';
import type { Logger, Metrics } from '@chat/observability';

/** What the chat domain reports, as logs and metrics. Ids, never contents, go to the logs. */
export function chatObserver(logger: Logger, metrics: Metrics): ChatObserver {
  return {
    sendStage: (stage, seconds) => metrics.sendStage.observe({ stage }, seconds),
    commit: (size, seconds, failed) => {
      metrics.batchSize.observe(size);
      metrics.storeLatency.observe(seconds);
      if (failed) metrics.storeErrors.inc();
    },
    stored: (userMessages) => metrics.messagesIn.inc(userMessages),
    publishFailed: (err, roomId) => {
      metrics.redisErrors.inc();
      logger.warn({ err, roomId }, 'publishing stored messages failed; retrying');
    },
    publishGivenUp: (roomId, messages) =>
      logger.error(
        { roomId, ids: messages.map((m) => m.id), seqs: messages.map((m) => m.seq) },
        'gave up publishing stored messages; receivers fill the gap from the store',
      ),
    signalFailed: (err, roomId, signal) => logger.warn({ err, roomId, signal }, 'room signal failed'),
    departuresFailed: (err) => logger.warn({ err }, 'announcing departures failed'),
  };
}
