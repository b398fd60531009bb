import { Type, type Static } from 'typebox';
import { timestamp } from './common.js';

/** One date's sales, for operators (`GET /admin/concerts/{concertId}/schedules` on booking). */
export const scheduleSales = Type.Object(
  {
    scheduleId: Type.String(),
    startsAt: timestamp(),
    totalSeats: Type.Integer({ minimum: 0 }),
    soldSeats: Type.Integer({ minimum: 0, description: 'Paid for' }),
    heldSeats: Type.Integer({ minimum: 0, description: 'In a live hold (not yet paid)' }),
    availableSeats: Type.Integer({ minimum: 0, description: 'Neither sold nor held (a lapsed hold counts as free)' }),
  },
  { title: 'ScheduleSales', additionalProperties: false },
);
export type ScheduleSales = Static<typeof scheduleSales>;
export const scheduleSalesList = Type.Array(scheduleSales, { title: 'ScheduleSalesList' });
