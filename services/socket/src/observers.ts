import type { DeliveryObserver } from '@chat/delivery';
import type { Logger, Metrics } from '@chat/observability';

/** What the delivery pipeline reports, as this node's metrics and logs. */
export function deliveryObserver(metrics: Metrics, logger: Logger): DeliveryObserver {
  return {
    busBatch: (messages) => {
      metrics.busBatchesReceived.inc();
      metrics.busMessagesReceived.inc(messages);
    },
    delivered: (messages, receivers, frames) => {
      const now = Date.now();
      for (const m of messages) metrics.fanoutLatency.observe(Math.max(0, now - Date.parse(m.sentAt)) / 1000);
      metrics.messagesOut.inc(receivers * messages.length);
      metrics.messageFramesOut.inc(frames);
    },
    membersFrames: (frames) => metrics.membersFramesOut.inc(frames),
    reorderWait: (seconds) => metrics.reorderWait.observe(seconds),
    warn: (err, what, roomId) => logger.warn({ err, roomId }, what),
  };
}
