import { useEffect, useState } from 'preact/hooks';
import type { Concert, QueueFigures } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { formatDateTime } from '../shared/format.js';
import { useFocusOnMount, useRepeating } from '../shared/hooks.js';
import { Notice } from '../shared/ui.js';
import { VerifyDraw } from './verify-draw.js';

// The lines' figures move while a fan looks at the list (and the endpoint is cacheable for 1 s).
const FIGURES_REFRESH_MS = 5000;

const statusLine = (figures: QueueFigures | undefined) => {
  if (!figures) return '';
  switch (figures.queueStatus) {
    case 'LOBBY':
      return figures.opensAt
        ? `Opens ${formatDateTime(figures.opensAt)} · ${figures.lobby} waiting in the lobby`
        : 'Opens soon';
    case 'PAUSED':
      return `Paused by the organiser · ${figures.waiting} in line`;
    case 'SOLD_OUT':
      return `Sold out for now · ${figures.waiting} in line`;
    default:
      return figures.waiting ? `On sale · ${figures.waiting} in line` : 'On sale · no line right now';
  }
};

/** Concerts on sale, each with its line's public figures (kept current), and "Join the line". */
export function Concerts(props: {
  site: Site;
  userId: string;
  notice?: string | null;
  onJoin: (concert: Concert) => Promise<string | null>;
}) {
  const { site } = props;
  const [concerts, setConcerts] = useState<Concert[] | null>(null);
  const [figures, setFigures] = useState<Record<string, QueueFigures>>({});
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState<string | null>(null);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  useEffect(() => {
    let live = true;
    site.booking.listConcerts().then(
      ({ data }) => live && setConcerts(data),
      (failure) => live && setError(describeError(failure)),
    );
    return () => {
      live = false;
    };
  }, [site]);

  useRepeating(
    async (signal) => {
      if (!concerts) return;
      const entries = await Promise.all(
        concerts.map(async (concert) => {
          try {
            return [concert.queueId, (await site.gateway.getQueue(concert.queueId)).data] as const;
          } catch {
            return null; // the figures are a nicety (the last ones stay); joining tells the real story
          }
        }),
      );
      if (!signal.aborted) {
        setFigures((current) => ({ ...current, ...Object.fromEntries(entries.filter((entry) => entry !== null)) }));
      }
    },
    FIGURES_REFRESH_MS,
    concerts,
  );

  async function join(concert: Concert) {
    setJoining(concert.id);
    setError(null);
    const failure = await props.onJoin(concert);
    if (failure) {
      setError(failure);
      setJoining(null);
    }
  }

  return (
    <section aria-labelledby="concerts-title">
      <h1 id="concerts-title" tabIndex={-1} ref={heading}>
        Concerts on sale
      </h1>
      <div class="notice-slot">
        {props.notice && <Notice tone="info">{props.notice}</Notice>}
        {error && <Notice tone="error">{error}</Notice>}
      </div>
      {concerts === null && !error && <p aria-busy="true">Loading concerts…</p>}
      {concerts?.length === 0 && <p>Nothing is on sale right now.</p>}
      <ul class="cards">
        {concerts?.map((concert) => (
          <li class="card" key={concert.id}>
            <h2 class="card__title">{concert.title}</h2>
            <p class="card__meta" id={`concert-${concert.id}-meta`}>
              {statusLine(figures[concert.queueId])}
            </p>
            <button
              type="button"
              class="button button--primary"
              onClick={() => join(concert)}
              disabled={joining !== null}
              aria-describedby={`concert-${concert.id}-meta`}
            >
              {joining === concert.id ? 'Joining…' : 'Join the line'}
            </button>
            <VerifyDraw figures={figures[concert.queueId]} userId={props.userId} />
          </li>
        ))}
      </ul>
    </section>
  );
}
