import { Type, type Static } from 'typebox';
import { nullable, oneOf, opaqueId, timestamp } from './common.js';

/** Longest list a multi-seat hold may name (the configured MAX_HOLDS_PER_USER is checked too). */
export const MAX_SEATS_PER_HOLD = 100;

const seatNo = (options: { description?: string; examples?: number[] } = {}) =>
  Type.Integer({ minimum: 1, maximum: 100_000, ...options });

export const singleSeatHold = Type.Object(
  { seatNo: seatNo({ description: 'The seat to hold', examples: [7] }) },
  { title: 'SingleSeatHold', additionalProperties: false },
);
export const seatsHold = Type.Object(
  {
    seatNos: Type.Array(seatNo(), {
      minItems: 1,
      maxItems: MAX_SEATS_PER_HOLD,
      uniqueItems: true,
      description: 'Seats held all together or none at all',
      examples: [[7, 8]],
    }),
  },
  { title: 'SeatsHold', additionalProperties: false },
);
export const bestAvailableHold = Type.Object(
  {
    quantity: Type.Integer({
      minimum: 1,
      maximum: MAX_SEATS_PER_HOLD,
      description: 'How many consecutive seats to pick',
      examples: [2],
    }),
    maxPrice: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Every picked seat costs at most this', examples: [120_000] }),
    ),
  },
  { title: 'BestAvailableHold', additionalProperties: false },
);

/** `POST .../reservations`: one seat, several named seats, or the best `quantity` together. */
export const holdRequest = oneOf([singleSeatHold, seatsHold, bestAvailableHold], {
  title: 'HoldRequest',
  description: '`{ seatNo }` answers one Reservation; `{ seatNos }` and `{ quantity, maxPrice? }` answer HeldSeats',
});
export type SingleSeatHold = Static<typeof singleSeatHold>;
export type SeatsHold = Static<typeof seatsHold>;
export type BestAvailableHold = Static<typeof bestAvailableHold>;
export type HoldRequest = Static<typeof holdRequest>;

export const reservationStatus = Type.Union(
  [
    Type.Literal('HELD'),
    Type.Literal('CONFIRMED'),
    Type.Literal('EXPIRED'),
    Type.Literal('CANCELLED'),
    Type.Literal('REFUNDED'),
  ],
  { title: 'ReservationStatus', description: 'A hold whose time is over reads EXPIRED at once' },
);
export type ReservationStatus = Static<typeof reservationStatus>;

export const reservation = Type.Object(
  {
    reservationId: Type.String(),
    concertId: Type.String(),
    scheduleId: Type.String(),
    seatNo: Type.Integer(),
    price: Type.Integer({ minimum: 0 }),
    status: reservationStatus,
    expiresAt: timestamp('When the hold ends (or ended)'),
    paymentId: nullable(Type.String(), 'The payment that bought this seat, once paid'),
  },
  { title: 'Reservation', additionalProperties: false },
);
export type Reservation = Static<typeof reservation>;

/**
 * A reservation in the fan's records (`GET /reservations`, `GET /reservations/{id}`): with when its
 * date starts, so a fan's tickets show their dates, and whether a refund is still open, anywhere.
 */
export const reservationRecord = Type.Object(
  { ...reservation.properties, startsAt: timestamp('When the date of this seat starts') },
  { title: 'ReservationRecord', additionalProperties: false },
);
export type ReservationRecord = Static<typeof reservationRecord>;
export const reservationList = Type.Array(reservationRecord, { title: 'ReservationList' });

/** A multi-seat hold's answer: every reservation of the group, held until one `expiresAt`. */
export const heldSeats = Type.Object(
  {
    reservations: Type.Array(reservation),
    amount: Type.Integer({ minimum: 0, description: 'The sum of the held seats’ prices' }),
    expiresAt: timestamp(),
  },
  { title: 'HeldSeats', additionalProperties: false },
);
export type HeldSeats = Static<typeof heldSeats>;

/** A hold's answer: one Reservation for `{ seatNo }`, HeldSeats for `{ seatNos }` and `{ quantity }`. */
export const holdResult = oneOf([reservation, heldSeats], {
  title: 'HoldResult',
  description: 'A Reservation for `{ seatNo }`; HeldSeats for `{ seatNos }` and `{ quantity, maxPrice? }`',
});
export type HoldResult = Static<typeof holdResult>;

export const reservationParams = Type.Object({ reservationId: opaqueId('Reservation id') });
export const reservationQuery = Type.Object(
  { status: Type.Optional(reservationStatus) },
  { additionalProperties: false },
);
export type ReservationQuery = Static<typeof reservationQuery>;
