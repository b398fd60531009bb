import type { ErrorCode } from '../errors.js';
import type { ErrorBody } from '../schemas/common.js';

/** A successful answer: the status (200 vs 201 can matter), the parsed body and the headers. */
export type ApiResponse<T> = { status: number; data: T; headers: Headers };

/**
 * The code of a failed answer: the contract's, or `HTTP_<status>` for an answer without the
 * contract's body (a proxy's error page, say).
 */
export type ApiErrorCode = ErrorCode | `HTTP_${number}`;

/** The contract's error body, as a client reads it. */
type ApiErrorBody = ErrorBody & { code: ApiErrorCode };

/** Any answer outside 2xx, with the contract's error body (`code` is the stable part). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly body: ApiErrorBody;
  readonly headers: Headers;

  constructor(status: number, body: ApiErrorBody, headers: Headers) {
    super(`${status} ${body.code}: ${body.message}`);
    this.status = status;
    this.code = body.code;
    this.body = body;
    this.headers = headers;
  }

  /** Seconds the server asked to wait (`Retry-After` on 429 and 503), if it said. */
  get retryAfterSeconds(): number | undefined {
    return retryAfterSecondsOf(this.headers);
  }
}

/**
 * The seconds a `Retry-After` header asks for, or undefined when there is none (or it is not a
 * number of seconds): an absent header must not read as "retry at once", as `Number(null)` would.
 */
export function retryAfterSecondsOf(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

export type ClientOptions = {
  /** e.g. `http://localhost:3000` (no trailing slash needed). */
  baseUrl: string;
  /** A fetch implementation (the global one by default). */
  fetch?: typeof fetch;
  /** Headers sent with every request (e.g. `x-request-id`). */
  headers?: Record<string, string>;
};

export type RequestOptions = {
  /** A bearer token: identity token or queue token, whichever the operation wants. */
  token?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string | undefined>;
  signal?: AbortSignal;
};

/** `/queues/{queueId}` built from segments, each percent-encoded (ids are opaque). */
export const path = (strings: TemplateStringsArray, ...segments: (string | number)[]) =>
  strings.reduce((url, part, i) => url + part + (i < segments.length ? encodeURIComponent(segments[i]!) : ''), '');

/** The contract's error body of a failed answer (or one made up for a proxy's error page). */
export function errorBodyOf(status: number, statusText: string, text: string): ApiErrorBody {
  try {
    // A service of this contract sends only its codes.
    const parsed = JSON.parse(text) as Partial<ApiErrorBody>;
    if (typeof parsed.code === 'string') {
      return {
        statusCode: parsed.statusCode ?? status,
        code: parsed.code,
        error: parsed.error ?? statusText,
        message: parsed.message ?? '',
      };
    }
  } catch {
    // not JSON: a proxy's error page, say
  }
  return { statusCode: status, code: `HTTP_${status}`, error: statusText, message: text.slice(0, 200) };
}

/** The HTTP plumbing every client method uses: JSON in and out, errors as ApiError. */
export function createRequester(options: ClientOptions | string) {
  const {
    baseUrl,
    fetch: fetchImpl = globalThis.fetch,
    headers: common = {},
  } = typeof options === 'string' ? { baseUrl: options } : options;
  const base = baseUrl.replace(/\/+$/, '');

  return async function request<T>(method: string, url: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const query = Object.entries(opts.query ?? {}).filter(([, value]) => value !== undefined);
    const search = query.length
      ? `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)]))}`
      : '';
    const headers: Record<string, string> = { ...common };
    for (const [name, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) headers[name] = value;
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetchImpl(`${base}${url}${search}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
    const text = await response.text();
    if (!response.ok)
      throw new ApiError(response.status, errorBodyOf(response.status, response.statusText, text), response.headers);
    return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  };
}

export type Requester = ReturnType<typeof createRequester>;
