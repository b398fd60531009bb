import type { QueueTokenSigner } from '@concert/tokens';
import type { JoinResult, WaitingRoom } from './waiting-room.js';

/**
 * Joins `queueId` as `userId` and signs the queue token of the place they get (or already held):
 * the one way a queue token comes to be, for the gateway's join and for tools and tests.
 * `null` when the queue does not exist.
 */
export async function issueQueueToken(
  deps: { waitingRoom: WaitingRoom; signer: Pick<QueueTokenSigner, 'sign'> },
  queueId: string,
  userId: string,
): Promise<(JoinResult & { token: string }) | null> {
  const joined = await deps.waitingRoom.join(queueId, userId);
  if (!joined) return null;
  const token = deps.signer.sign({ userId, queueId, tokenId: joined.tokenId, issuedAt: joined.issuedAt });
  return { ...joined, token };
}
