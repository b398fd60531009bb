import { Type, type Static } from 'typebox';
import { nullable, oneOf, opaqueId, timestamp } from './common.js';

/** What a hold's answer gave (the examples of a payment). */
const HELD = ['5f8e2c1a-7b3d-4e9f-a0c6-1d2e3f4a5b6c', '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'];

const reservationIds = Type.Array(opaqueId('Reservation id'), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'Several holds paid at once (at most MAX_HOLDS_PER_USER)',
  examples: [HELD],
});

/** `POST /payments`: one reservation or several, paid in one transaction. */
export const paymentRequest = oneOf(
  [
    Type.Object({ reservationId: opaqueId('The reservation to pay', [HELD[0]!]) }, { additionalProperties: false }),
    Type.Object({ reservationIds }, { additionalProperties: false }),
  ],
  { title: 'PaymentRequest' },
);
export type PaymentRequest = Static<typeof paymentRequest>;

/** What every view of a payment says. */
const paymentFields = {
  paymentId: Type.String(),
  reservationIds: Type.Array(Type.String()),
  amount: Type.Integer({ minimum: 0, description: 'Points paid' }),
};

/** The answer to a payment. */
export const paymentReceipt = Type.Object(
  {
    ...paymentFields,
    balance: Type.Integer({ minimum: 0, description: 'The balance left after paying' }),
    status: Type.Literal('PAID'),
    paidAt: timestamp(),
  },
  { title: 'PaymentReceipt', additionalProperties: false },
);
export type PaymentReceipt = Static<typeof paymentReceipt>;

export const paymentStatus = Type.Union([Type.Literal('PAID'), Type.Literal('REFUNDED')], { title: 'PaymentStatus' });

/** A payment as the fan's records show it. */
export const payment = Type.Object(
  {
    ...paymentFields,
    status: paymentStatus,
    paidAt: timestamp(),
    refundedAt: nullable(timestamp()),
  },
  { title: 'Payment', additionalProperties: false },
);
export type Payment = Static<typeof payment>;
export const paymentList = Type.Array(payment, { title: 'PaymentList' });

/** The answer to a refund. */
export const refundReceipt = Type.Object(
  {
    paymentId: Type.String(),
    amount: Type.Integer({ minimum: 0 }),
    balance: Type.Integer({ minimum: 0, description: 'The balance after the refund' }),
    status: Type.Literal('REFUNDED'),
    refundedAt: timestamp(),
  },
  { title: 'RefundReceipt', additionalProperties: false },
);
export type RefundReceipt = Static<typeof refundReceipt>;

export const paymentParams = Type.Object({ paymentId: opaqueId('Payment id') });
