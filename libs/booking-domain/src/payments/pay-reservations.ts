import { randomUUID } from 'node:crypto';
import type { Db } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { withIdempotency, type StoredResponse } from '../idempotency/with-idempotency.js';

export type PaymentView = {
  paymentId: string;
  reservationIds: string[];
  amount: number;
  balance: number;
  status: 'PAID';
  paidAt: Date;
};

/** What identifies a payment request for its Idempotency-Key: the set of reservations. */
export function paymentRequest(reservationIds: string[]) {
  return { reservationIds: [...new Set(reservationIds)].sort() };
}

type Locked = { id: string; user_id: string; concert_id: string; status: string; live: boolean; price: number };

/**
 * Pays for one or more held seats in one transaction: every hold must be the user's and still
 * live, the balance must cover the sum; then the seats are SOLD, the reservations CONFIRMED, one
 * USE ledger row and one payment row are written. Reservation rows are locked in id order (no
 * deadlock between overlapping payments), so a reservation is paid at most once.
 * `authorizeConcerts` lets the caller refuse reservations of a concert the token is not for.
 */
export async function payReservations(opts: {
  db: Db;
  userId: string;
  reservationIds: string[];
  idempotencyKey?: string;
  authorizeConcerts?: (concertIds: string[]) => Promise<void>;
}): Promise<StoredResponse<PaymentView>> {
  const { db, userId, idempotencyKey } = opts;
  const ids = [...new Set(opts.reservationIds)].sort();
  const idempotency = idempotencyKey
    ? { userId, scope: 'payments', key: idempotencyKey, request: paymentRequest(opts.reservationIds) }
    : undefined;

  return db.$transaction((tx) =>
    withIdempotency(tx, idempotency, 201, async () => {
      const rows = await tx.$queryRaw<Locked[]>`
        SELECT id, user_id, concert_id, status::text AS status, (expires_at > now()) AS live, price
          FROM reservation WHERE id = ANY(${ids}::uuid[])
         ORDER BY id
           FOR UPDATE`;
      const mine = rows.filter((row) => row.user_id === userId);
      const missing = ids.find((id) => !mine.some((row) => row.id === id));
      if (missing) throw new BookingErrors.RESERVATION_NOT_FOUND(missing);
      await opts.authorizeConcerts?.([...new Set(mine.map((row) => row.concert_id))]);
      const paid = mine.find((row) => row.status === 'CONFIRMED');
      if (paid) throw new BookingErrors.RESERVATION_ALREADY_PAID(paid.id);
      const lapsed = mine.find((row) => row.status !== 'HELD' || !row.live);
      if (lapsed) throw new BookingErrors.RESERVATION_EXPIRED(lapsed.id);

      const amount = mine.reduce((sum, row) => sum + row.price, 0);
      const [debited] = await tx.$queryRaw<{ balance: number }[]>`
        UPDATE point_balance SET balance = balance - ${amount}::int, updated_at = now()
         WHERE user_id = ${userId} AND balance >= ${amount}::int
        RETURNING balance`;
      if (!debited) {
        const current = await tx.pointBalance.findUnique({ where: { userId }, select: { balance: true } });
        throw new BookingErrors.INSUFFICIENT_BALANCE(current?.balance ?? 0, amount);
      }

      const paymentId = randomUUID();
      const [payment] = await tx.$queryRaw<{ paid_at: Date }[]>`
        INSERT INTO payment (id, user_id, amount) VALUES (${paymentId}::uuid, ${userId}, ${amount}::int)
        RETURNING paid_at`;
      // The seat must still be held by this very reservation (a lapsed seat may have been re-held).
      const sold = await tx.$executeRaw`
        UPDATE seat SET status = 'SOLD', hold_expires_at = NULL
         WHERE reservation_id = ANY(${ids}::uuid[]) AND status = 'HELD' AND hold_expires_at > now()`;
      if (sold !== ids.length) throw new BookingErrors.RESERVATION_EXPIRED(ids.join(', '));
      await tx.$executeRaw`
        UPDATE reservation SET status = 'CONFIRMED', payment_id = ${paymentId}::uuid, updated_at = now()
         WHERE id = ANY(${ids}::uuid[])`;
      await tx.$executeRaw`
        INSERT INTO point_transaction (user_id, type, amount, balance_after, payment_id)
        VALUES (${userId}, 'USE', ${amount}::int, ${debited.balance}::int, ${paymentId}::uuid)`;

      return {
        paymentId,
        reservationIds: ids,
        amount,
        balance: debited.balance,
        status: 'PAID' as const,
        paidAt: payment!.paid_at,
      };
    }),
  );
}
