/**
 * Checking the lobby's draw in the browser (DESIGN "Lobby and fair start"): before opening the
 * gateway publishes SHA-256(seed) as `shuffleCommitment`; after, it reveals `shuffleSeed`, and
 * the lobby's order is ascending HMAC-SHA256(seed, userId). A fan can check that the seed matches
 * the commitment made before anyone joined, and compute their own draw value.
 */
const hexToBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const bytesToHex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

export type DrawCheck = { commitmentMatches: boolean; drawValue: string };

export async function checkDraw(seedHex: string, commitmentHex: string, userId: string): Promise<DrawCheck> {
  const seed = hexToBytes(seedHex);
  const digest = bytesToHex(await crypto.subtle.digest('SHA-256', seed));
  const key = await crypto.subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const drawValue = bytesToHex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(userId)));
  return { commitmentMatches: digest === commitmentHex.toLowerCase(), drawValue };
}
