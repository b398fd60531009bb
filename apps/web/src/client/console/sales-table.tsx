import type { ScheduleSales } from '@concert/contract';
import { formatShortDateTime } from '../shared/format.js';
import { Notice } from '../shared/ui.js';

/** A concert's sales as the console last read them from booking, or why it could not. */
export type SalesReading = { dates: ScheduleSales[] } | { error: string };

/** Seats sold, held and left on each future date of the queue's concert. */
export function SalesTable(props: { id: string; reading: SalesReading | undefined }) {
  const { reading } = props;
  return (
    <section class="sales" aria-labelledby={`${props.id}-sales`}>
      <h3 id={`${props.id}-sales`}>Sales per date</h3>
      {reading === undefined && <p aria-busy="true">Loading…</p>}
      {reading && 'error' in reading && <Notice tone="error">{reading.error}</Notice>}
      {reading && 'dates' in reading && reading.dates.length === 0 && <p class="small">No future dates.</p>}
      {reading && 'dates' in reading && reading.dates.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col" class="num">
                Sold
              </th>
              <th scope="col" class="num">
                Held
              </th>
              <th scope="col" class="num">
                Left
              </th>
            </tr>
          </thead>
          <tbody>
            {reading.dates.map((date) => (
              <tr key={date.scheduleId} data-schedule={date.scheduleId}>
                <th scope="row">{formatShortDateTime(date.startsAt)}</th>
                <td class="num">{date.soldSeats}</td>
                <td class="num">{date.heldSeats}</td>
                <td class="num">
                  {date.availableSeats} <span class="sales__of">of {date.totalSeats}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
