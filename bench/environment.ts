import { testSystemEnv } from '@concert/testing';

export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789';

/**
 * The settings the benchmarked apps run with: those of a test system (fresh keys, the bench as its
 * own identity provider, as a load tester with an issuer key of their own is; no rate limits or
 * load shedding, which would distort the figures of one client at full speed), logging warnings.
 */
export function benchEnvironment(opts: { databaseUrl: string; redisUrl: string; prefix: string }) {
  const { env, identityToken } = testSystemEnv({ ...opts, adminKey: BENCH_ADMIN_KEY });
  return { env: { ...env, LOG_LEVEL: 'warn', MAX_HOLDS_PER_USER: '4' } as Record<string, string>, identityToken };
}
