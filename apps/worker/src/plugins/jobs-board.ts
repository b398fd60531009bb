import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { requireSettings, type Config } from '@concert/config';
import { adminKeyMatcher, HttpErrors, sendError } from '@concert/http';

export const JOBS_BOARD_PATH = '/admin/jobs';

/** The worker's needs beyond the defaults: the board is behind the admin key, so it needs one. */
export function checkWorkerConfig(config: Config) {
  requireSettings(config, [
    {
      settings: 'ADMIN_API_KEY (or ADMIN_API_KEY_FILE)',
      why: `the jobs board at ${JOBS_BOARD_PATH} is behind it (or set JOBS_BOARD=false)`,
      satisfied: (c) => !c.JOBS_BOARD || Boolean(c.ADMIN_API_KEY),
    },
  ]);
  return config;
}

/** The password of `Authorization: Basic ...` (what a browser sends after its login prompt). */
function basicPassword(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * The admin key as `X-Admin-Key` (scripts) or as the password of HTTP Basic authentication (a
 * browser prompts for it; any user name). Answers the contract's 401 itself rather than
 * throwing, because Bull Board installs an error handler of its own in its scope.
 */
function adminKeyOrBasic(adminApiKey: string) {
  const matches = adminKeyMatcher(adminApiKey);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['x-admin-key'];
    if (matches(typeof header === 'string' ? header : basicPassword(request.headers.authorization))) return;
    const error = new HttpErrors.ADMIN_KEY_INVALID();
    // The Basic challenge makes a browser show its login prompt.
    reply.header('www-authenticate', 'Basic realm="concert jobs", charset="UTF-8"');
    return sendError(reply, 401, error.code, error.message);
  };
}

/**
 * Bull Board at `/admin/jobs`: the job schedulers, their runs and failures, for operators with
 * the admin key. Off with JOBS_BOARD=false.
 */
async function jobsBoard(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  if (!config.JOBS_BOARD) return;
  checkWorkerConfig(config);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(JOBS_BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(app.jobQueue, { readOnlyMode: false })],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Concert jobs' } },
  });
  await app.register(async (board) => {
    board.addHook('onRequest', adminKeyOrBasic(config.ADMIN_API_KEY!));
    await board.register(serverAdapter.registerPlugin(), { prefix: JOBS_BOARD_PATH });
  });
}

export const jobsBoardPlugin = fp(jobsBoard, { name: 'jobs-board', dependencies: ['jobs'] });
