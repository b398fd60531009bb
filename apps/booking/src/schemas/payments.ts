import { Type } from 'typebox';
import { id, timestamp } from './common.js';

/** `{ reservationId }` or `{ reservationIds: [...] }`: exactly one of the two (checked in the route). */
export const paymentBody = (maxHolds: number) =>
  Type.Object(
    {
      reservationId: Type.Optional(id('One reservation to pay')),
      reservationIds: Type.Optional(
        Type.Array(id('Reservation id'), {
          minItems: 1,
          maxItems: maxHolds,
          description: 'Several holds paid at once',
        }),
      ),
    },
    { additionalProperties: false },
  );

export const payment = Type.Object({
  paymentId: Type.String(),
  reservationIds: Type.Array(Type.String()),
  amount: Type.Integer(),
  balance: Type.Integer(),
  status: Type.Literal('PAID'),
  paidAt: timestamp,
});
