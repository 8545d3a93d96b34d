import type { ChatMessage } from '@chat/protocol';

/**
 * Everything that travels on a room's bus channel. One union, one codec
 * (codec.ts): receivers switch on `kind`, never on the shape of a payload.
 */
export type BusEvent =
  /** Stored messages of the room, consecutive in one writer's group, in seq order. */
  | { kind: 'messages'; messages: ChatMessage[] }
  /** Seqs that were reserved but will never be stored: in-order delivery moves past them at once. */
  | { kind: 'skipped'; seqs: number[] }
  /** The room's member list changed (someone's first connection came or last one went); carries no data. */
  | { kind: 'membersChanged' }
  /** The owner of a private room took a user's access back: that user's sockets leave the room. */
  | { kind: 'revoked'; userId: string };

export type BusEventKind = BusEvent['kind'];
