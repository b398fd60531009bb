import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * The lobby draw, verifiable by anyone: before the opening the queue publishes
 * `shuffleCommitment` = SHA-256 of a secret 32-byte seed; at the opening it reveals the seed
 * (`shuffleSeed`, hex) and the lobby is put in line by ascending HMAC-SHA256(key = the 32 seed
 * bytes, message = the user id in UTF-8), compared as hex (the same as comparing the bytes).
 */

/** A fresh secret seed (64 hex). */
export function newDrawSeed(): string {
  return randomBytes(32).toString('hex');
}

/** SHA-256 (hex) of the seed's 32 bytes: what is published before the opening. */
export function drawCommitment(seedHex: string): string {
  return createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');
}

/** HMAC-SHA256(seed, userId): the user's place in the drawn order (ascending). */
export function drawKey(seedHex: string | Buffer, userId: string): Buffer {
  const key = typeof seedHex === 'string' ? Buffer.from(seedHex, 'hex') : seedHex;
  return createHmac('sha256', key).update(userId, 'utf8').digest();
}

/** The order a lobby of these users is drawn in with this seed (what a fan can recompute). */
export function drawOrder(seedHex: string, userIds: Iterable<string>): string[] {
  return [...userIds]
    .map((userId) => ({ userId, key: drawKey(seedHex, userId).toString('hex') }))
    .sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : Buffer.compare(Buffer.from(a.userId), Buffer.from(b.userId)),
    )
    .map(({ userId }) => userId);
}
