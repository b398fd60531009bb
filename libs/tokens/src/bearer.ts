import type { FastifyRequest } from 'fastify';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The bearer token of a request: `Authorization: Bearer <token>`, the `USER-TOKEN: Bearer <token>`
 * header some clients use, or, where `allowQuery` (the event stream: browsers' EventSource cannot
 * set headers), `?access_token=<token>`. Undefined when there is none or it is not JWT-shaped.
 */
export function bearerToken(request: FastifyRequest, opts: { allowQuery?: boolean } = {}): string | undefined {
  const header = request.headers.authorization ?? request.headers['user-token'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value) return BEARER.exec(value.trim())?.[1];
  if (opts.allowQuery) {
    const fromQuery = (request.query as { access_token?: unknown } | undefined)?.access_token;
    if (typeof fromQuery === 'string' && JWT.test(fromQuery)) return fromQuery;
  }
  return undefined;
}

/** The claims of a JWT, unverified: only to tell which kind of token it is before verifying it. */
export function peekClaims(token: string): Record<string, unknown> | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
