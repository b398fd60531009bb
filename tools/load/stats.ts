/** Figures the load tool collects while fans run; all in-process, read once at the end. */

/** The q-quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const mean = (values: number[]) =>
  values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : Number.NaN;

/** Counts by key. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string) {
    return this.counts.get(key) ?? 0;
  }
  get total() {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
  toJSON() {
    return Object.fromEntries([...this.counts].sort(([, a], [, b]) => b - a));
  }
}

/** What happened to every fan, and what the outside could see of the system. */
export function createStats() {
  return {
    startedAt: 0,
    arrivalsEndedAt: 0,
    finishedAt: 0,
    fans: 0,
    /** Arrivals not started because `--max-in-flight` fans were already running. */
    shed: 0,
    joins: 0,
    joinedAtOnce: 0,
    joinLatencyMs: [] as number[],
    admissionMs: [] as number[],
    pollsPerWaiter: [] as number[],
    streams: new Tally(),
    holds: new Tally(),
    heldFans: 0,
    paidFans: 0,
    paidPoints: 0,
    soldOut: 0,
    gaveUp: 0,
    outcomes: new Tally(),
    /** Unexpected answers by `operation code` (expected ones, like a lost seat, are outcomes). */
    errors: new Tally(),
    serverErrors: 0,
    requests: 0,
    violations: [] as string[],
    maxActiveSeen: 0,
    maxActiveSetting: 0,
  };
}

export type Stats = ReturnType<typeof createStats>;
