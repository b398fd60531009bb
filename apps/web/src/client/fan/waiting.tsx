import { useRef, useState } from 'preact/hooks';
import type { Placement, QueueFigures } from '@concert/contract';
import { describeError } from '../shared/error-messages.js';
import { formatCountdown, formatDateTime, formatWait } from '../shared/format.js';
import { useFocusOnMount, useNow } from '../shared/hooks.js';
import { Notice, Stat } from '../shared/ui.js';
import type { WatchMode } from './placement-watch.js';
import { VerifyDraw } from './verify-draw.js';

type Props = {
  userId: string;
  concertTitle: string;
  placement: Placement;
  /** The queue's public figures (the lobby's size and commitment; after opening, its seed). */
  figures: QueueFigures | null;
  mode: WatchMode | null;
  trouble: string | null;
  onLeave: () => Promise<void>;
};

/** The waiting screen: place, ETA and progress while in line; the countdown in the lobby. */
export function Waiting(props: Props) {
  const { placement, figures } = props;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const now = useNow(1000);
  const [leaving, setLeaving] = useState(false);
  const [leaveError, setLeaveError] = useState<string | null>(null);
  // The furthest back this fan has been: progress is how much of that way is behind them.
  const furthest = useRef(placement.position ?? 1);
  if (placement.position !== null && placement.position > furthest.current) furthest.current = placement.position;

  const inLobby = placement.queueStatus === 'LOBBY';
  const opensIn = placement.opensAt ? (Date.parse(placement.opensAt) - now) / 1000 : null;
  const position = placement.position;
  const progress = position === null ? 0 : (furthest.current - position + 1) / (furthest.current + 1);

  async function leave() {
    setLeaving(true);
    setLeaveError(null);
    try {
      await props.onLeave();
    } catch (failure) {
      setLeaveError(describeError(failure));
      setLeaving(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="waiting-title">
      <h1 id="waiting-title" tabIndex={-1} ref={heading}>
        {inLobby ? 'You are in the lobby' : 'You are in line'}
      </h1>
      <p class="lead">{props.concertTitle}</p>

      {inLobby ? (
        <>
          <dl class="stats">
            <Stat
              label="Sale opens in"
              id="countdown"
              value={<span role="timer">{opensIn !== null ? formatCountdown(opensIn) : '—'}</span>}
              hint={placement.opensAt ? formatDateTime(placement.opensAt) : 'soon'}
            />
            <Stat label="In the lobby" value={figures ? figures.lobby : '—'} hint="fans so far" />
          </dl>
          <p>
            Everyone in the lobby gets a random place when the sale opens: arriving early does not put you first, and
            you lose nothing by waiting here. Keep this page open.
          </p>
          {figures?.shuffleCommitment && (
            <p class="small">
              The draw is fixed in advance. Its commitment: <code class="hash">{figures.shuffleCommitment}</code>
            </p>
          )}
        </>
      ) : (
        <>
          <dl class="stats" aria-live="polite" aria-atomic="true">
            <Stat
              label="Your place"
              id="position"
              value={position ?? '—'}
              hint={position === 1 ? 'you are next' : 'in line'}
            />
            <Stat
              label="Estimated wait"
              id="eta"
              value={placement.etaSeconds !== null ? formatWait(placement.etaSeconds) : '—'}
            />
          </dl>
          <div
            class="progress"
            role="progressbar"
            aria-label="Progress in line"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress * 100)}
          >
            <div class="progress__bar" style={{ transform: `scaleX(${progress})` }} />
          </div>
        </>
      )}

      <div class="notice-slot" id="queue-status">
        {placement.queueStatus === 'PAUSED' && (
          <Notice tone="warning">
            The line is paused by the organiser. You keep your place; it moves again when they resume.
          </Notice>
        )}
        {placement.queueStatus === 'SOLD_OUT' && (
          <Notice tone="warning">
            Every seat is taken right now. Stay in line: if seats come back (a hold lapses or a ticket is refunded), you
            keep your place.
          </Notice>
        )}
        {props.trouble && <Notice tone="error">{props.trouble}</Notice>}
        {leaveError && <Notice tone="error">{leaveError}</Notice>}
      </div>

      {!inLobby && <VerifyDraw figures={figures} userId={props.userId} />}

      <p class="small live-mode" aria-live="off">
        {props.mode === 'stream'
          ? 'Updates live.'
          : props.mode === 'poll'
            ? 'Checking for updates regularly.'
            : 'Connecting…'}
      </p>
      <button type="button" class="button button--quiet" onClick={leave} disabled={leaving}>
        {leaving ? 'Leaving…' : 'Leave the line'}
      </button>
    </section>
  );
}
