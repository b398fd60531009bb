/*
 * A Redis failover, as a managed Redis or Sentinel does it: the primary is demoted to a replica
 * and the replica promoted, and the address the apps use moves to the new primary. Connections
 * opened before the move still lead to the old primary, which answers PING and refuses every
 * write (READONLY). Two private redis-servers (never the shared one) behind a TCP proxy that
 * plays the moving address, and one instance of every app on them.
 */
import { createServer, connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createGatewayClient } from '@concert/contract';
import { hasRedisServer, setupTestContext, startPrivateRedis, startStack, type Stack } from '@concert/testing';
import { forbidden, sleep, summary, type Answer } from './harness.js';

t.setTimeout(180_000);

/** An address (host:port) whose new connections go wherever it points now; open ones stay where they went. */
async function movingAddress(t: Test, port: number) {
  let target = port;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    moveTo(port: number) {
      target = port;
    },
  };
}

/** Whether every app answers /health/ready with `ready` (true: 200, false: 503). */
async function allAre(stack: Stack, ready: boolean) {
  const states = await Promise.all(
    stack.apps.map((app) =>
      fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.status === (ready ? 200 : 503),
        () => false,
      ),
    ),
  );
  return states.every(Boolean);
}

/** How long after `since` the moment `at` came (`at` 0: never). */
const after = (at: number, since: number) => (at ? `${at - since} ms` : 'never');

/** Polls `check` until it holds; resolves with the time it did, or 0 after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (await check()) return Date.now();
  }
  return 0;
}

t.test(
  'Redis failover: clients leave the demoted primary and reach the new one; readiness sees a read-only Redis',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const primary = await startPrivateRedis(t, { appendonly: false });
    const replica = await startPrivateRedis(t, {
      appendonly: false,
      args: ['--replicaof', '127.0.0.1', String(primary.port)],
    });
    const admin = (port: number) => {
      const client = new Redis({ port, host: '127.0.0.1' });
      t.teardown(() => client.disconnect());
      return client;
    };
    const [onPrimary, onReplica] = [admin(primary.port), admin(replica.port)];
    const address = await movingAddress(t, primary.port);

    const context = await setupTestContext(t, {
      database: true,
      env: { REDIS_URL: address.url, ADMIT_INTERVAL_MS: 200, LOG_LEVEL: 'warn' },
    });
    const { concert } = await seedDemoData(context.db as Db);
    const stack = await startStack({ env: context.env });
    t.teardown(() => stack.stop());
    const answers: Answer[] = [];
    const gateway = createGatewayClient({
      baseUrl: stack.gateways[0]!,
      fetch: async (input, init) => {
        const startedAt = Date.now();
        const response = await fetch(input, { ...init, signal: AbortSignal.timeout(15_000) });
        answers.push({ op: init?.method ?? 'GET', startedAt, ms: Date.now() - startedAt, status: response.status });
        return response;
      },
    });
    const join = async (userId: string) =>
      gateway.joinQueue(concert.queueId, await context.identityToken(userId)).then(
        (joined) => joined.data,
        (error: unknown) => {
          if (error instanceof ApiError) return undefined;
          throw error;
        },
      );
    const before = await join('before-failover');
    t.ok(before, 'a fan joins before the failover');
    for (let i = 0; i < 50 && !/master_link_status:up/.test(await onReplica.info('replication')); i++) await sleep(100);
    t.ok(await until(() => allAre(stack, true), 10_000), 'every app ready');

    // The old primary is demoted; the address still leads to it: only a replica is reachable.
    await onReplica.replicaof('NO', 'ONE');
    await onPrimary.replicaof('127.0.0.1', String(replica.port));
    const demotedAt = Date.now();
    const unreadyAt = await until(() => allAre(stack, false), 5000);
    t.ok(unreadyAt, `every app unready on a read-only Redis (${after(unreadyAt, demotedAt)})`);
    t.notOk(await join('during-failover'), 'a join is refused meanwhile');
    const refused = answers.filter((answer) => answer.startedAt >= demotedAt);
    t.ok(
      refused.every((answer) => answer.status === 503 && answer.ms < 1500),
      `refused with 503, fast (${summary(refused)})`,
    );

    // The failover completes: the address now leads to the new primary.
    address.moveTo(replica.port);
    const movedAt = Date.now();
    const readyAt = await until(() => allAre(stack, true), 10_000);
    t.ok(readyAt, `every app ready again without a restart (${after(readyAt, movedAt)} after the address moved)`);
    let joined: Awaited<ReturnType<typeof join>>;
    const joinedAt = await until(async () => !!(joined = await join('after-failover')), 10_000);
    t.ok(joinedAt, `joins work again (${after(joinedAt, movedAt)} after the address moved)`);
    t.comment(
      `RECOVERY redis-failover: unready ${after(unreadyAt, demotedAt)} after the demotion; ready ${after(readyAt, movedAt)} and first join ${after(joinedAt, movedAt)} after the address moved`,
    );
    t.equal(joined?.status, 'ACTIVE', 'admitted at once: the queue settings came across with the data');
    const kept = await gateway.pollToken(concert.queueId, before!.token);
    t.equal(kept.data.status, before!.status, 'the fan who joined before the failover keeps their token');
    t.same(forbidden(answers), [], 'never a 500 or a dropped connection');
    t.same(stack.unexpectedExits, [], 'no process exited');
  },
);
