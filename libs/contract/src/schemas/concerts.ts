import { Type, type Static } from 'typebox';
import { opaqueId, timestamp } from './common.js';

export const concertParams = Type.Object({ concertId: opaqueId('Concert id') });
export const scheduleParams = Type.Object({ concertId: opaqueId('Concert id'), scheduleId: opaqueId('Schedule id') });
export type ScheduleParams = Static<typeof scheduleParams>;

export const concert = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    queueId: Type.String({ description: 'The queue to join before booking this concert' }),
  },
  { title: 'Concert', additionalProperties: false },
);
export type Concert = Static<typeof concert>;
export const concertList = Type.Array(concert, { title: 'ConcertList' });

export const schedule = Type.Object(
  {
    id: Type.String(),
    startsAt: timestamp(),
    totalSeats: Type.Integer({ minimum: 0 }),
    availableSeats: Type.Integer({ minimum: 0, description: 'Neither sold nor held (a lapsed hold counts as free)' }),
  },
  { title: 'Schedule', additionalProperties: false },
);
export type Schedule = Static<typeof schedule>;
export const scheduleList = Type.Array(schedule, { title: 'ScheduleList' });

export const seatStatus = Type.Union([Type.Literal('AVAILABLE'), Type.Literal('HELD'), Type.Literal('SOLD')], {
  title: 'SeatStatus',
});
export const seat = Type.Object(
  { seatNo: Type.Integer({ minimum: 1 }), price: Type.Integer({ minimum: 0 }), status: seatStatus },
  { title: 'Seat', additionalProperties: false },
);
export type Seat = Static<typeof seat>;
export const seatList = Type.Array(seat, { title: 'SeatList' });
