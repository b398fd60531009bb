import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Concert } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError, ERROR_MESSAGES } from '../shared/error-messages.js';
import { readSession, writeSession } from '../shared/storage.js';
import { currentSession, saveSession, type FanSession } from './auth.js';
import type { Paid } from './booking.js';
import { Concerts } from './concerts.js';
import { Line, type Turn } from './line.js';
import { Receipt } from './receipt.js';
import { SignIn } from './sign-in.js';
import { Tickets } from './tickets.js';

const TURN_KEY = 'concert.fan.turn';

type Screen =
  | { name: 'concerts'; notice?: string }
  | { name: 'line'; turn: Turn }
  | { name: 'receipt'; paid: Paid; concertTitle: string }
  | { name: 'tickets' };

/** The fans' site: sign in, concerts, the line, booking, receipt, my tickets. */
export function FanApp(props: { site: Site; session?: FanSession | null; notice?: string }) {
  const { site } = props;
  const [session, setSession] = useState<FanSession | null>(props.session ?? currentSession());
  const [screen, setScreenState] = useState<Screen>(() => {
    const turn = readSession<Turn>(TURN_KEY);
    return turn ? { name: 'line', turn } : { name: 'concerts' };
  });
  const setScreen = (next: Screen) => {
    writeSession(TURN_KEY, next.name === 'line' ? next.turn : null);
    setScreenState(next);
  };

  if (!session) {
    return (
      <Shell>
        <SignIn
          site={site}
          notice={props.notice}
          onSignedIn={(signedIn) => {
            saveSession(signedIn);
            setSession(signedIn);
          }}
        />
      </Shell>
    );
  }

  function signOut() {
    saveSession(null);
    setScreen({ name: 'concerts' });
    setSession(null);
  }

  async function join(concert: Concert): Promise<string | null> {
    try {
      const { data } = await site.gateway.joinQueue(concert.queueId, session!.identityToken);
      const { token, ...joined } = data;
      setScreen({
        name: 'line',
        turn: { queueId: concert.queueId, concertId: concert.id, concertTitle: concert.title, token, joined },
      });
      return null;
    } catch (failure) {
      if ((failure as { code?: string }).code === 'IDENTITY_INVALID') {
        signOut();
        return null;
      }
      return describeError(failure, { queueId: concert.queueId });
    }
  }

  const nav = (
    <nav class="nav" aria-label="Main">
      <button
        type="button"
        class="nav__link"
        aria-current={screen.name === 'concerts' || screen.name === 'line' ? 'page' : undefined}
        onClick={() => screen.name !== 'line' && setScreen({ name: 'concerts' })}
      >
        {screen.name === 'line' ? 'My place' : 'Concerts'}
      </button>
      <button
        type="button"
        class="nav__link"
        aria-current={screen.name === 'tickets' ? 'page' : undefined}
        onClick={() => {
          // Leaving the line's screen keeps the place: the turn is remembered until it ends.
          if (screen.name === 'line') writeSession(TURN_KEY, screen.turn);
          setScreenState({ name: 'tickets' });
        }}
      >
        My tickets
      </button>
      <span class="nav__user">
        <span class="visually-hidden">Signed in as </span>
        {session.userId}
      </span>
      <button type="button" class="nav__link" onClick={signOut}>
        Sign out
      </button>
    </nav>
  );

  const rememberedTurn = readSession<Turn>(TURN_KEY);
  return (
    <Shell nav={nav}>
      {screen.name === 'concerts' && (
        <Concerts site={site} userId={session.userId} notice={screen.notice} onJoin={join} />
      )}
      {screen.name === 'line' && (
        <Line
          key={screen.turn.token}
          site={site}
          userId={session.userId}
          turn={screen.turn}
          onLeave={async () => {
            await site.gateway.leaveQueue(screen.turn.queueId, screen.turn.token);
            setScreen({ name: 'concerts', notice: 'You left the line.' });
          }}
          onEnded={(code) => setScreen({ name: 'concerts', notice: ERROR_MESSAGES[code]?.({}) ?? describeError(null) })}
          onPaid={(paid) => setScreen({ name: 'receipt', paid, concertTitle: screen.turn.concertTitle })}
        />
      )}
      {screen.name === 'receipt' && (
        <Receipt
          paid={screen.paid}
          concertTitle={screen.concertTitle}
          onTickets={() => setScreen({ name: 'tickets' })}
          onConcerts={() => setScreen({ name: 'concerts' })}
        />
      )}
      {screen.name === 'tickets' && (
        <>
          {rememberedTurn && (
            <p class="back-to-line">
              <button type="button" class="button" onClick={() => setScreen({ name: 'line', turn: rememberedTurn })}>
                Back to my place in line
              </button>
            </p>
          )}
          <Tickets site={site} identityToken={session.identityToken} />
        </>
      )}
    </Shell>
  );
}

function Shell(props: { nav?: ComponentChildren; children: ComponentChildren }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Waiting Room Tickets</span>
        {props.nav}
      </header>
      <main id="main" class="main">
        {props.children}
      </main>
    </>
  );
}
