/**
 * `npm run bench [-- --quick]`: starts gateway, booking and worker as real processes against a
 * fresh bench database and Redis prefix, runs each group of scenarios (bench/scenarios/*.ts),
 * measures the baselines in the same run, prints one table of ratios and writes the raw figures to
 * bench/results/<timestamp>.json. See BENCHMARKS.md for what the figures mean.
 *
 * A new scenario group is a file in bench/scenarios exporting `(system) => ScenarioReport`, added
 * to GROUPS below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { log, startBenchSystem, type ScenarioReport } from './system.js';
import { frontDoorScenarios } from './scenarios/front-door.js';
import { bookingScenarios } from './scenarios/booking.js';
import { bookingV2Scenarios } from './scenarios/booking-v2.js';
import { redisScenarios } from './scenarios/redis.js';
import { waitingRoomScenarios } from './scenarios/waiting-room.js';
import { millionScenarios } from './scenarios/million.js';

const quick = process.argv.includes('--quick');
// `--million`: only the million-fan line (minutes, gigabytes of Redis: not part of the usual run).
const GROUPS = process.argv.includes('--million')
  ? [millionScenarios]
  : [frontDoorScenarios, bookingScenarios, bookingV2Scenarios, redisScenarios, waitingRoomScenarios];

const system = await startBenchSystem({ quick });
const reports: ScenarioReport[] = [];
try {
  for (const group of GROUPS) reports.push(await group(system));
} finally {
  await system.stop();
}

console.log(
  '\n| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx | baseline | baseline req/s | ratio | target |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|');
for (const { scenario, figures, baseline, baselineName, target } of reports.flatMap((report) => report.rows)) {
  console.log(
    `| ${scenario} | ${figures.rps.toFixed(0)} | ${figures.p50} | ${figures.p90} | ${figures.p99} | ${figures.errors} | ` +
      `${figures.non2xx} | ${baselineName} | ${baseline.rps.toFixed(0)} | ${(figures.rps / baseline.rps).toFixed(2)} | ${target} |`,
  );
}
console.log('\nCPU per request (µs) by process: where the time goes');
console.log('| scenario | app | redis | postgres | load generator |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, figures] of Object.entries(system.results)) {
  const cpu = figures.cpuMicrosPerRequest!;
  console.log(`| ${name} | ${cpu.app} | ${cpu.redis} | ${cpu.postgres} | ${cpu.loadGenerator} |`);
}
console.log('');
for (const note of reports.flatMap((report) => report.notes)) console.log(note);

mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify(
    {
      quick,
      seconds: system.seconds,
      connections: system.connections,
      results: system.results,
      ...Object.assign({}, ...reports.map((report) => report.raw ?? {})),
    },
    null,
    2,
  ),
);
log(`raw figures written to ${file}`);
