import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { IntervalHistogram, PerformanceEntry } from 'node:perf_hooks';

/** Latency buckets in seconds, from 0.5 ms to 5 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Every metric a node exports. One registry per node (never the global one), passed in where needed. */
export function createMetrics(opts: { nodeId: string; role: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: opts.nodeId, role: opts.role });
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    connectedSockets: new Gauge({ name: 'chat_connected_sockets', help: 'Sockets connected to this node', registers: r }),
    localRooms: new Gauge({ name: 'chat_local_rooms', help: 'Rooms with at least one member on this node', registers: r }),
    messagesIn: new Counter({ name: 'chat_messages_in_total', help: 'Messages accepted from clients and stored', registers: r }),
    messagesOut: new Counter({ name: 'chat_messages_out_total', help: 'Message deliveries to local sockets (one per receiving socket)', registers: r }),
    messageFramesOut: new Counter({
      name: 'chat_message_frames_out_total',
      help: 'Frames carrying messages to local sockets: one per `message`, one per `messages` batch',
      registers: r,
    }),
    membersFramesOut: new Counter({
      name: 'chat_members_frames_out_total',
      help: '`members` updates sent to local sockets (one per receiving socket)',
      registers: r,
    }),
    busBatchesReceived: new Counter({
      name: 'chat_bus_batches_received_total',
      help: 'Room batches received from the bus (only rooms with local members)',
      registers: r,
    }),
    busMessagesReceived: new Counter({ name: 'chat_bus_messages_received_total', help: 'Messages received from the bus', registers: r }),
    requestErrors: new Counter({
      name: 'chat_request_errors_total',
      help: 'Requests answered with an error, by code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    slowConsumersCut: new Counter({
      name: 'chat_slow_consumers_cut_total',
      help: 'Connections closed because their client stopped reading (queue over CLIENT_QUEUE_MAX_BYTES)',
      registers: r,
    }),
    storeErrors: new Counter({ name: 'chat_store_errors_total', help: 'Failed store operations', registers: r }),
    redisErrors: new Counter({ name: 'chat_redis_errors_total', help: 'Redis client errors', registers: r }),
    storeLatency: new Histogram({ name: 'chat_store_write_seconds', help: 'Time to commit one group of messages', buckets: LATENCY_BUCKETS, registers: r }),
    batchSize: new Histogram({ name: 'chat_store_batch_size', help: 'Messages per group commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], registers: r }),
    fanoutLatency: new Histogram({
      name: 'chat_fanout_seconds',
      help: 'From a message being stored to its local emit on this node',
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    reorderWait: new Histogram({
      name: 'chat_reorder_wait_seconds',
      help: 'Time a message received live waited in in-order delivery for a lower seq (0 for one that went out on arrival)',
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    sendStage: new Histogram({
      name: 'chat_send_stage_seconds',
      help: 'Time a send spends in each stage before its ack: admit (rate limit and dedupe look-up), seq (reservation; alongside admit for user sends), commit (group commit, waiting included)',
      labelNames: ['stage'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    ackLatency: new Histogram({ name: 'chat_ack_seconds', help: 'From a message event to its ack', buckets: LATENCY_BUCKETS, registers: r }),
    ...loopMetrics(r),
  };
}

/** Pause buckets in seconds, from 0.1 ms to 1 s. */
const PAUSE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The loop-delay sampler's timer period: a sample is the time between two runs of this timer. */
const LOOP_RESOLUTION_MS = 10;

/**
 * What blocks the event loop: its delay (how much later than due a 10 ms timer
 * ran, from Node's own sampler, as quantiles over the time since the previous
 * scrape) and each GC pause by kind. `stopLoopMetrics()` ends both observers.
 */
function loopMetrics(registers: Registry[]) {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  delay.enable();
  // Node records the whole interval between two runs of its timer, the period included: only the excess is delay.
  const lateness = (nanos: number) => Math.max(0, nanos / 1e6 - LOOP_RESOLUTION_MS) / 1000;
  const loopDelay = new Gauge({
    name: 'chat_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape: how late a 10 ms timer ran, at quantiles 0.5, 0.99 and 1 (max)',
    labelNames: ['quantile'] as const,
    registers,
    collect() {
      // A window with no sample (scraped twice within 10 ms) keeps the previous values rather than reporting zero.
      if (delay.count === 0) return;
      this.set({ quantile: '0.5' }, lateness(delay.percentile(50)));
      this.set({ quantile: '0.99' }, lateness(delay.percentile(99)));
      this.set({ quantile: '1' }, lateness(delay.max));
      delay.reset();
    },
  });
  const gcPause = new Histogram({
    name: 'chat_gc_pause_seconds',
    help: 'Garbage-collection pauses, by kind',
    labelNames: ['kind'] as const,
    buckets: PAUSE_BUCKETS,
    registers,
  });
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      gcPause.observe({ kind: gcKind((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind) }, entry.duration / 1000);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  return {
    loopDelay,
    gcPause,
    /** Ends the loop-delay sampling and the GC observer (a node that stops). Idempotent. */
    stopLoopMetrics(): void {
      delay.disable();
      gcObserver.disconnect();
    },
  };
}

function gcKind(kind: number | undefined): string {
  switch (kind) {
    case 1:
      return 'minor';
    case 2:
      return 'major';
    case 4:
      return 'incremental';
    case 8:
      return 'weakcb';
    default:
      return 'other';
  }
}

export type Metrics = ReturnType<typeof createMetrics>;
