import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One sample of a Prometheus text exposition. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

/** A scrape: every sample, and the TYPE of every metric family. */
export type Scrape = { samples: Sample[]; types: Map<string, string> };

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus' text format (version 0.0.4); throws on a line it cannot read. */
export function parsePrometheusText(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) labels[name!] = value!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`${url}/metrics: ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Metric family names a scrape exports (histogram and summary series under their base name too). */
export function exportedNames(scrapes: Scrape[]): Set<string> {
  const names = new Set<string>();
  for (const { samples, types } of scrapes) {
    for (const { name } of samples) names.add(name);
    for (const name of types.keys()) names.add(name);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'abs',
  'absent',
  'absent_over_time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'clamp_min',
  'clamp_max',
  'clamp',
  'round',
  'ceil',
  'floor',
  'vector',
  'scalar',
  'time',
  'label_replace',
  'changes',
  'resets',
  'sort',
  'sort_desc',
  'timestamp',
  'inf',
  'nan',
  'le',
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords or
 * label names (label matchers and `by (...)` lists are removed first).
 */
export function metricNamesIn(expr: string): string[] {
  const cleaned = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?[A-Za-z_]+\}?/g, ' ');
  const names = new Set<string>();
  for (const match of cleaned.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = cleaned.slice(match.index! + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word) || /^\d/.test(word)) continue;
    if (/^[0-9.]+[smhdwy]$/.test(word)) continue;
    names.add(word);
  }
  return [...names];
}

/** A name a scrape shows, allowing for histogram suffixes. */
export function isExported(name: string, exported: Set<string>) {
  return exported.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, ''));
}

/** Every query in the Grafana dashboards and Prometheus rule files under deploy/. */
export function deployQueries(root: string): { file: string; expr: string }[] {
  const queries: { file: string; expr: string }[] = [];
  const grafana = join(root, 'deploy/grafana');
  for (const file of readdirSync(grafana).filter((f) => f.endsWith('.json'))) {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'expr' && typeof value === 'string')
            queries.push({ file: `deploy/grafana/${file}`, expr: value });
          else if (key === 'query' && typeof value === 'string' && /\(/.test(value))
            queries.push({ file: `deploy/grafana/${file}`, expr: value.replace(/^label_values\(([^,)]+).*$/, '$1') });
          else visit(value);
        }
      }
    };
    visit(JSON.parse(readFileSync(join(grafana, file), 'utf8')));
  }
  const prometheus = join(root, 'deploy/prometheus');
  for (const file of readdirSync(prometheus).filter((f) => /rules.*\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(join(prometheus, file), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    for (const group of doc.groups) {
      for (const rule of group.rules) queries.push({ file: `deploy/prometheus/${file}`, expr: String(rule.expr) });
    }
  }
  return queries;
}
