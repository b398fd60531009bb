/** A user id: 1–64 of `A-Z a-z 0-9 . _ : @ -` (DESIGN.md). */
export const USER_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,64}$';
/** A queue id: same alphabet, so it can never break out of its `{hash tag}` in Redis keys. */
export const QUEUE_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,64}$';
