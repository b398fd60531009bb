import { formatDateTime, formatPoints } from '../shared/format.js';
import { useFocusOnMount } from '../shared/hooks.js';
import type { Paid } from './booking.js';

/** After paying: the tickets bought, what they cost, and what is left. */
export function Receipt(props: { paid: Paid; concertTitle: string; onTickets: () => void; onConcerts: () => void }) {
  const { receipt, reservations, dates } = props.paid;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <section class="panel narrow" aria-labelledby="receipt-title">
      <h1 id="receipt-title" tabIndex={-1} ref={heading}>
        You’re going!
      </h1>
      <p class="lead">{props.concertTitle}</p>
      <table class="table">
        <caption class="visually-hidden">Your tickets</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Seat</th>
            <th scope="col" class="num">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {reservations.map((r) => (
            <tr key={r.reservationId}>
              <td>{dates[r.scheduleId] ? formatDateTime(dates[r.scheduleId]!) : '—'}</td>
              <td>{r.seatNo}</td>
              <td class="num">{formatPoints(r.price)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Paid
            </th>
            <td class="num" id="paid-amount">
              {formatPoints(receipt.amount)}
            </td>
          </tr>
        </tfoot>
      </table>
      <p>
        Points left: <strong>{formatPoints(receipt.balance)}</strong>. Payment <code>{receipt.paymentId}</code>, paid{' '}
        {formatDateTime(receipt.paidAt)}.
      </p>
      <p class="small">Your turn in line has ended and your place went to the next fan.</p>
      <div class="actions">
        <button type="button" class="button button--primary" onClick={props.onTickets}>
          My tickets
        </button>
        <button type="button" class="button" onClick={props.onConcerts}>
          Back to concerts
        </button>
      </div>
    </section>
  );
}
