import * as oauth from 'oauth4webapi';
import type { Site } from '../shared/site.js';
import { readSession, writeSession } from '../shared/storage.js';

/** A signed-in fan: the identity token the APIs trust, and who it says they are. */
export type FanSession = { userId: string; identityToken: string; expiresAt: string; via: 'dev' | 'oidc' };

const SESSION_KEY = 'concert.fan.session';
const OIDC_PENDING_KEY = 'concert.fan.oidc';

type PendingLogin = { codeVerifier: string; state: string; nonce: string; redirectUri: string };

/** The remembered sign-in of this tab, unless it has expired. */
export function currentSession(): FanSession | null {
  const session = readSession<FanSession>(SESSION_KEY);
  return session && Date.parse(session.expiresAt) > Date.now() + 30_000 ? session : null;
}

export function saveSession(session: FanSession | null) {
  writeSession(SESSION_KEY, session);
}

/** The development identity provider (`POST /dev/identity`, only where DEV_IDENTITY=true). */
export async function signInForDevelopment(site: Site, userId: string): Promise<FanSession> {
  const { data } = await site.gateway.createDevIdentity(userId);
  return { userId, identityToken: data.identityToken, expiresAt: data.expiresAt, via: 'dev' };
}

// A provider on plain http is only ever a local one (development, tests).
const httpOptions = (issuer: URL) => (issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {});

async function discover(issuerUrl: string) {
  const issuer = new URL(issuerUrl);
  const response = await oauth.discoveryRequest(issuer, httpOptions(issuer));
  return oauth.processDiscoveryResponse(issuer, response);
}

/** Where the provider sends the browser back: this page, without any query. */
const redirectUriOf = () => `${location.origin}/`;

/**
 * The promoter's OpenID provider: authorization code flow with PKCE, as a public client. Sends
 * the browser to the provider; `completeOidcSignIn` finishes when it comes back.
 */
export async function startOidcSignIn(site: Site): Promise<void> {
  const settings = site.config.oidc!;
  const as = await discover(settings.issuer);
  if (!as.authorization_endpoint) throw new Error('the OpenID provider names no authorization endpoint');
  const pending: PendingLogin = {
    codeVerifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    redirectUri: redirectUriOf(),
  };
  writeSession(OIDC_PENDING_KEY, pending);
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  if (settings.audience) url.searchParams.set('audience', settings.audience);
  location.assign(url.href);
}

/** Whether this page load is the provider sending the browser back (`?code=...&state=...` or an error). */
export const isOidcCallback = () => {
  const query = new URLSearchParams(location.search);
  return Boolean(readSession<PendingLogin>(OIDC_PENDING_KEY)) && (query.has('code') || query.has('error'));
};

/**
 * Finishes the provider's sign-in: checks `state`, trades the code (with the PKCE verifier) for
 * tokens, checks the ID token's issuer, audience, expiry and nonce (it came straight from the
 * provider's token endpoint; the APIs check its signature), and takes its `sub` as the user. The ID token is what the APIs get, unless an API
 * audience is configured, in which case the access token is.
 */
export async function completeOidcSignIn(site: Site): Promise<FanSession> {
  const settings = site.config.oidc!;
  const pending = readSession<PendingLogin>(OIDC_PENDING_KEY);
  writeSession(OIDC_PENDING_KEY, null);
  const callback = new URL(location.href);
  history.replaceState(null, '', '/');
  if (!pending) throw new Error('no sign-in was under way in this tab');
  const as = await discover(settings.issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  const params = oauth.validateAuthResponse(as, client, callback, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    pending.redirectUri,
    pending.codeVerifier,
    httpOptions(new URL(settings.issuer)),
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: pending.nonce,
    requireIdToken: true,
  });
  const claims = oauth.getValidatedIdTokenClaims(result)!;
  const identityToken = settings.audience ? result.access_token : result.id_token!;
  const expiresAt = settings.audience
    ? new Date(Date.now() + (result.expires_in ?? 300) * 1000).toISOString()
    : new Date(claims.exp * 1000).toISOString();
  return { userId: claims.sub, identityToken, expiresAt, via: 'oidc' };
}
