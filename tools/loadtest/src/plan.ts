/**
 * Who is who: every simulated member gets a global index, a room, a server
 * URL (round-robin over --url) and a worker (round-robin over workers, so a
 * room's members are spread over workers and nodes alike).
 */
export interface ClientSpec {
  /** Global index, also the sender id in payloads. */
  index: number;
  room: number;
  url: string;
  nickName: string;
  chatroomName: string;
  /** Leaves and re-joins periodically instead of talking. */
  churner: boolean;
}

export interface PlanInput {
  runId: string;
  rooms: number;
  clientsPerRoom: number;
  urls: readonly string[];
  workers: number;
  churnFraction: number;
}

export function roomName(runId: string, room: number): string {
  return `lt-${runId}-room-${room}`;
}

export function nickName(runId: string, index: number): string {
  return `lt-${runId}-${index}`;
}

/** Members per room that churn; at least one member keeps talking. */
export function churnersPerRoom(clientsPerRoom: number, fraction: number): number {
  if (fraction <= 0) return 0;
  return Math.min(clientsPerRoom - 1, Math.max(1, Math.round(clientsPerRoom * fraction)));
}

export function planClients(p: PlanInput): ClientSpec[][] {
  if (p.urls.length === 0) throw new RangeError('at least one url');
  const workers = Math.max(1, p.workers);
  const out: ClientSpec[][] = Array.from({ length: workers }, () => []);
  const churners = churnersPerRoom(p.clientsPerRoom, p.churnFraction);
  for (let room = 0; room < p.rooms; room++) {
    for (let j = 0; j < p.clientsPerRoom; j++) {
      const index = room * p.clientsPerRoom + j;
      out[index % workers]!.push({
        index,
        room,
        url: p.urls[index % p.urls.length]!,
        nickName: nickName(p.runId, index),
        chatroomName: roomName(p.runId, room),
        churner: j >= p.clientsPerRoom - churners,
      });
    }
  }
  return out;
}

/**
 * The room's rate is shared by its talking members, wherever they live: a
 * worker sends its local talkers' share.
 */
export function localRate(ratePerRoom: number, localTalkers: number, totalTalkers: number): number {
  if (totalTalkers <= 0 || localTalkers <= 0) return 0;
  return (ratePerRoom * localTalkers) / totalTalkers;
}
