/**
 * A user id is the identity token's `sub`: 1–128 visible ASCII characters (no spaces). Identity
 * providers choose their own formats (`auth0|5f7c…`, e-mail addresses, UUIDs); the waiting room
 * only ever stores a user id as a member of a set, never inside a key name.
 */
export const USER_ID_PATTERN = '^[\\x21-\\x7E]{1,128}$';

/**
 * A queue id: 1–64 of `A-Z a-z 0-9 . _ : @ -`. Queue ids are part of Redis key names, inside a
 * `{hash tag}`, so braces and spaces can never appear in one.
 */
export const QUEUE_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,64}$';

/** What identifies one queue token (of one user, in one queue): its `sub`, `jti` and `iat` claims. */
export type TokenRef = { userId: string; tokenId: string; issuedAt: number };

/** The shape of ids booking creates (UUIDs). Clients treat them as opaque strings. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const queueIdRegExp = new RegExp(QUEUE_ID_PATTERN);
const userIdRegExp = new RegExp(USER_ID_PATTERN);
const uuidRegExp = new RegExp(UUID_PATTERN);

export const isQueueId = (value: string) => queueIdRegExp.test(value);
export const isUserId = (value: string) => userIdRegExp.test(value);
/** Whether `value` could name something booking stored; anything else names nothing (404). */
export const isUuid = (value: string) => uuidRegExp.test(value);
