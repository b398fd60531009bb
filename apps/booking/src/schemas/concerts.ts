import { Type } from 'typebox';
import { id, timestamp } from './common.js';

export const concertParams = Type.Object({ concertId: id('Concert id') });
export const scheduleParams = Type.Object({ concertId: id('Concert id'), scheduleId: id('Schedule id') });

export const concertList = Type.Array(Type.Object({ id: Type.String(), title: Type.String(), queueId: Type.String() }));

export const scheduleList = Type.Array(
  Type.Object({ id: Type.String(), startsAt: timestamp, totalSeats: Type.Integer(), availableSeats: Type.Integer() }),
);

export const seatList = Type.Array(
  Type.Object({
    seatNo: Type.Integer(),
    price: Type.Integer(),
    status: Type.Union([Type.Literal('AVAILABLE'), Type.Literal('HELD'), Type.Literal('SOLD')]),
  }),
);
