import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function pidsOf(command: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', command], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU milliseconds (user + system) a process has used so far; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * Where the CPU goes during a scenario: the app under test, Redis, PostgreSQL (all its
 * processes) and the load generator (this process). Returns a function that, called after the
 * scenario, gives the CPU microseconds per request of each.
 */
export function cpuMeter(appPids: number[]) {
  const groups = { app: () => appPids, redis: () => pidsOf('redis-server'), postgres: () => pidsOf('postgres') };
  const sample = () => ({
    ...Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [name, pids().reduce((sum, pid) => sum + cpuMs(pid), 0)]),
    ),
    loadGenerator: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  });
  const before = sample();
  return (requests: number) => {
    const after = sample();
    return Object.fromEntries(
      Object.entries(after).map(([name, ms]) => [
        name,
        Math.round(((ms - before[name as keyof typeof before]) * 1000) / Math.max(requests, 1)),
      ]),
    ) as Record<'app' | 'redis' | 'postgres' | 'loadGenerator', number>;
  };
}
