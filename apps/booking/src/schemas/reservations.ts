import { Type } from 'typebox';
import { id, timestamp } from './common.js';

export const reservationParams = Type.Object({ reservationId: id('Reservation id') });

export const holdBody = Type.Object(
  { seatNo: Type.Integer({ minimum: 1, maximum: 100_000 }) },
  { additionalProperties: false },
);

export const reservation = Type.Object({
  reservationId: Type.String(),
  concertId: Type.String(),
  scheduleId: Type.String(),
  seatNo: Type.Integer(),
  price: Type.Integer(),
  status: Type.Union([
    Type.Literal('HELD'),
    Type.Literal('CONFIRMED'),
    Type.Literal('EXPIRED'),
    Type.Literal('CANCELLED'),
  ]),
  expiresAt: timestamp,
});
