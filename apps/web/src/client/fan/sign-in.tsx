import { useState } from 'preact/hooks';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { useFocusOnMount } from '../shared/hooks.js';
import { Notice } from '../shared/ui.js';
import { signInForDevelopment, startOidcSignIn, type FanSession } from './auth.js';

/** Sign-in: the promoter's OpenID provider when configured, the development login where it is on. */
export function SignIn(props: { site: Site; onSignedIn: (session: FanSession) => void; notice?: string }) {
  const { site } = props;
  const [userId, setUserId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(props.notice ?? null);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  async function devSignIn(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await signInForDevelopment(site, userId.trim()));
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  async function oidcSignIn() {
    setBusy(true);
    setError(null);
    try {
      await startOidcSignIn(site);
    } catch (failure) {
      setError(`The sign-in service could not be reached. ${describeError(failure)}`);
      setBusy(false);
    }
  }

  return (
    <section class="panel narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1} ref={heading}>
        Sign in to get tickets
      </h1>
      <p>Your place in line and your tickets belong to your account.</p>
      {site.config.oidc && (
        <button type="button" class="button button--primary button--wide" onClick={oidcSignIn} disabled={busy}>
          Sign in with your promoter account
        </button>
      )}
      {site.config.devLogin && (
        <form class="stack" onSubmit={devSignIn}>
          <p class="dev-warning">
            <strong>Development sign-in.</strong> Anyone can be anyone here: for local runs and demos only.
          </p>
          <label class="field">
            <span class="field__label">Your name (user id)</span>
            <input
              name="userId"
              autocomplete="username"
              required
              pattern="[\x21-\x7E]{1,128}"
              title="1–128 letters, digits or symbols, no spaces"
              value={userId}
              onInput={(event) => setUserId(event.currentTarget.value)}
            />
          </label>
          <button type="submit" class="button button--primary" disabled={busy || !userId.trim()}>
            Sign in
          </button>
        </form>
      )}
      {!site.config.oidc && !site.config.devLogin && (
        <Notice tone="warning">No way to sign in is configured for this site (OIDC_ISSUER / OIDC_CLIENT_ID).</Notice>
      )}
      <div class="notice-slot">{error && <Notice tone="error">{error}</Notice>}</div>
    </section>
  );
}
