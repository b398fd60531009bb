/** One sample of a queue's figures, as the console saw them. */
export type Sample = { at: number; waiting: number; active: number; admittedLastMinute: number };

const WIDTH = 300;
const HEIGHT = 80;

const SERIES = [
  { key: 'waiting', label: 'waiting', className: 'line--waiting' },
  { key: 'active', label: 'active', className: 'line--active' },
  { key: 'admittedLastMinute', label: 'admitted per minute', className: 'line--admitted' },
] as const;

/**
 * A small chart of the last minutes (fixed size, so it never moves the page): one line per
 * figure, scaled to the largest value shown.
 */
export function Chart(props: { samples: Sample[]; windowMs: number; now: number }) {
  const { samples, windowMs, now } = props;
  const top = Math.max(1, ...samples.flatMap((s) => [s.waiting, s.active, s.admittedLastMinute]));
  const x = (at: number) => WIDTH - ((now - at) / windowMs) * WIDTH;
  const y = (value: number) => HEIGHT - 4 - (value / top) * (HEIGHT - 8);
  const last = samples[samples.length - 1];
  const summary = last
    ? `Last ${Math.round(windowMs / 60_000)} minutes: now ${last.waiting} waiting, ${last.active} active, ${last.admittedLastMinute} admitted in the last minute; highest value ${top}.`
    : 'No figures yet.';
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        width="100%"
        height={HEIGHT}
        role="img"
        aria-label={summary}
      >
        <line x1="0" y1={HEIGHT - 4} x2={WIDTH} y2={HEIGHT - 4} class="chart__axis" />
        {SERIES.map((series) => (
          <polyline
            key={series.key}
            class={`chart__line ${series.className}`}
            points={samples.map((s) => `${x(s.at).toFixed(1)},${y(s[series.key]).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
      <figcaption class="chart__legend">
        {SERIES.map((series) => (
          <span key={series.key}>
            <span class={`chart__key ${series.className}`} aria-hidden="true" /> {series.label}
          </span>
        ))}
        <span class="small">
          last {Math.round(windowMs / 60_000)} min · top {top}
        </span>
      </figcaption>
    </figure>
  );
}
