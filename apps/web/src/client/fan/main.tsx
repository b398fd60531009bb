import { render } from 'preact';
import '../shared/base.css';
import './fan.css';
import { loadSite } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { completeOidcSignIn, isOidcCallback, saveSession, type FanSession } from './auth.js';
import { FanApp } from './app.js';

const root = document.getElementById('app')!;

try {
  const site = await loadSite();
  let session: FanSession | null = null;
  let notice: string | undefined;
  if (site.config.oidc && isOidcCallback()) {
    try {
      session = await completeOidcSignIn(site);
      saveSession(session);
    } catch (failure) {
      notice = `Sign-in did not complete: ${failure instanceof Error ? failure.message : describeError(failure)}`;
    }
  }
  render(<FanApp site={site} session={session} notice={notice} />, root);
} catch (failure) {
  root.textContent = `The site could not start: ${failure instanceof Error ? failure.message : String(failure)}`;
}
