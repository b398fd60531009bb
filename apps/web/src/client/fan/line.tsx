import { useEffect, useRef, useState } from 'preact/hooks';
import type { Placement, QueueFigures } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { Booking, type Paid } from './booking.js';
import { watchPlacement, type WatchMode } from './placement-watch.js';
import { Waiting } from './waiting.js';

/** A place in a concert's line: what a tab remembers across reloads. */
export type Turn = { queueId: string; concertId: string; concertTitle: string; token: string; joined: Placement };

type Props = {
  site: Site;
  userId: string;
  turn: Turn;
  onLeave: () => Promise<void>;
  /** The token died (left elsewhere, turn over, abandoned, revoked): the error code says which. */
  onEnded: (code: string) => void;
  onPaid: (paid: Paid) => void;
};

/**
 * Follows the turn (stream, else paced polls) and shows the waiting screen until the fan is
 * admitted, then the booking screen, until the token ends.
 */
export function Line(props: Props) {
  const { site, turn } = props;
  const [placement, setPlacement] = useState<Placement>(turn.joined);
  const [mode, setMode] = useState<WatchMode | null>(null);
  const [trouble, setTrouble] = useState<string | null>(null);
  // Paying or leaving ends the token on purpose: the watch stops first, and that end is not news.
  const endingOnPurpose = useRef(false);
  const stopWatching = useRef<() => void>(() => undefined);
  const [round, setRound] = useState(0);
  const onEnded = useRef(props.onEnded);
  onEnded.current = props.onEnded;
  const [figures, setFigures] = useState<QueueFigures | null>(null);

  // The queue's public figures (the lobby's size and commitment; after opening, the seed to
  // verify the draw with), again whenever the queue's status changes.
  useEffect(() => {
    let live = true;
    site.gateway.getQueue(turn.queueId).then(
      ({ data }) => live && setFigures(data),
      () => undefined, // a nicety: the place in line does not depend on it
    );
    return () => {
      live = false;
    };
  }, [site, turn.queueId, placement.queueStatus]);

  useEffect(() => {
    endingOnPurpose.current = false;
    stopWatching.current = watchPlacement({
      gateway: site.gateway,
      gatewayUrl: site.config.gatewayUrl,
      queueId: turn.queueId,
      token: turn.token,
      onEvent(event) {
        if (event.type === 'placement') {
          setPlacement(event.placement);
          setMode(event.mode);
          setTrouble(null);
        } else if (event.type === 'trouble') {
          setTrouble(describeError(event.error, { retryAfterSeconds: event.retryInSeconds }));
        } else if (!endingOnPurpose.current) {
          onEnded.current(event.code);
        }
      },
    });
    return () => stopWatching.current();
  }, [site, turn.queueId, turn.token, round]);

  const endOnPurpose = () => {
    endingOnPurpose.current = true;
    stopWatching.current();
  };
  // It did not end after all (the payment or the leaving failed): watch again.
  const watchAgain = () => setRound((n) => n + 1);
  const leave = async () => {
    endOnPurpose();
    try {
      await props.onLeave();
    } catch (failure) {
      watchAgain();
      throw failure;
    }
  };

  if (placement.status === 'ACTIVE' && placement.activeUntil) {
    return (
      <Booking
        site={site}
        token={turn.token}
        concertId={turn.concertId}
        concertTitle={turn.concertTitle}
        activeUntil={placement.activeUntil}
        userId={props.userId}
        figures={figures}
        onPaying={endOnPurpose}
        onPayFailed={watchAgain}
        onPaid={props.onPaid}
        onLeave={leave}
      />
    );
  }
  return (
    <Waiting
      userId={props.userId}
      concertTitle={turn.concertTitle}
      placement={placement}
      figures={figures}
      mode={mode}
      trouble={trouble}
      onLeave={leave}
    />
  );
}
