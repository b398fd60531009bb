import { bearer, json, type BenchSystem, type ScenarioReport } from '../system.js';

/** The bare route (the baseline of every ratio), joins of unique users, and polls of a live line. */
export async function frontDoorScenarios(system: BenchSystem): Promise<ScenarioReport> {
  const { gateway, http, measure, pidsOf } = system;
  const pollTokens = system.quick ? 2000 : 10_000;
  await system.admin('bench-join', { paused: true }); // everyone waits: join and poll measure the line itself

  await http(system.baselineUrl, () => ({ path: '/ping' }), { durationSeconds: 1 }); // warm-up
  const bare = await measure('baseline: bare Fastify route', [system.baselinePid], () =>
    http(system.baselineUrl, () => ({ path: '/ping' })),
  );

  const joinRequest = (tokens: string[]) => (i: number) => ({
    method: 'POST',
    path: '/queues/bench-join/tokens',
    body: json({}).body,
    headers: { ...json({}).headers, ...bearer(tokens[i % tokens.length]!) },
  });
  await http(gateway, joinRequest(await system.identities('warm', 5000)), { durationSeconds: 1 });
  const joiners = await system.identities('join', system.seconds * 9000);
  const join = await measure('join (unique users)', pidsOf('gateway'), () => http(gateway, joinRequest(joiners)));

  const tokens = await system.joinMany('bench-join', pollTokens, 'poll');
  const pollOf = (i: number) => ({ path: '/queues/bench-join/tokens/me', headers: bearer(tokens[i % pollTokens]!) });
  // Every token has polled once already, as in a real line (each fan polls every few seconds).
  await http(gateway, pollOf, { amount: pollTokens });
  const poll = await measure(`poll (${pollTokens} live tokens)`, pidsOf('gateway'), () => http(gateway, pollOf));

  return {
    rows: [
      { scenario: 'join', figures: join, baseline: bare, baselineName: 'bare route', target: '≥ 0.50' },
      { scenario: 'poll', figures: poll, baseline: bare, baselineName: 'bare route', target: '≥ 0.80' },
    ],
    notes: [],
  };
}
