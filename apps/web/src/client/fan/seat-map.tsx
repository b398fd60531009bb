import { useRef, useState } from 'preact/hooks';
import type { Seat } from '@concert/contract';
import { formatPoints } from '../shared/format.js';

const COLUMNS = 10;

/** Price tiers, dearest first: tier 0 is the front. */
export const tiersOf = (seats: Seat[]) => [...new Set(seats.map((seat) => seat.price))].sort((a, b) => b - a);

type Props = {
  seats: Seat[];
  selected: ReadonlySet<number>;
  /** Seats this fan holds now. */
  mine: ReadonlySet<number>;
  onToggle: (seatNo: number) => void;
};

/**
 * The hall: every seat a button coloured by price tier and status. One tab stop for the whole
 * map (a roving tabindex); arrow keys move, Home/End jump, Space or Enter picks.
 */
export function SeatMap(props: Props) {
  const { seats } = props;
  const tiers = tiersOf(seats);
  const [focusIndex, setFocusIndex] = useState(0);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  const move = (index: number) => {
    const next = Math.max(0, Math.min(seats.length - 1, index));
    setFocusIndex(next);
    buttons.current[next]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      ArrowDown: index + COLUMNS,
      ArrowUp: index - COLUMNS,
      Home: 0,
      End: seats.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    move(target);
  };

  return (
    <div class="hall">
      <div class="stage" aria-hidden="true">
        Stage
      </div>
      <div class="seat-map" role="group" aria-label="Seats, stage at the front">
        {seats.map((seat, index) => {
          const mine = props.mine.has(seat.seatNo);
          const selected = props.selected.has(seat.seatNo);
          const free = seat.status === 'AVAILABLE';
          const state = mine ? 'yours' : free ? 'available' : seat.status === 'HELD' ? 'held' : 'sold';
          const words = mine ? 'held by you' : free ? 'available' : seat.status === 'HELD' ? 'on hold' : 'sold';
          return (
            <button
              key={seat.seatNo}
              ref={(element) => {
                buttons.current[index] = element;
              }}
              type="button"
              class={`seat seat--${state} tier-${tiers.indexOf(seat.price) % 4}${selected ? ' seat--selected' : ''}`}
              tabIndex={index === focusIndex ? 0 : -1}
              aria-pressed={free ? selected : undefined}
              aria-disabled={!free}
              aria-label={`Seat ${seat.seatNo}, ${formatPoints(seat.price)}, ${words}`}
              data-seat={seat.seatNo}
              onClick={() => {
                setFocusIndex(index);
                if (free) props.onToggle(seat.seatNo);
              }}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {seat.seatNo}
            </button>
          );
        })}
      </div>
      <ul class="legend" aria-label="Key">
        {tiers.map((price, tier) => (
          <li key={price}>
            <span class={`swatch seat--available tier-${tier % 4}`} aria-hidden="true" /> {formatPoints(price)}
          </li>
        ))}
        <li>
          <span class="swatch seat--selected seat--available tier-0" aria-hidden="true" /> Selected
        </li>
        <li>
          <span class="swatch seat--yours" aria-hidden="true" /> Yours
        </li>
        <li>
          <span class="swatch seat--held" aria-hidden="true" /> On hold
        </li>
        <li>
          <span class="swatch seat--sold" aria-hidden="true" /> Sold
        </li>
      </ul>
    </div>
  );
}
