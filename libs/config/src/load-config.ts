import { readFileSync } from 'node:fs';
import envSchema from 'env-schema';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type AjvError = { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string };
type PropertySchema = {
  description?: string;
  type?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  anyOf?: { const?: unknown }[];
};

const properties = configSchema.properties as unknown as Record<string, PropertySchema>;

/** What a setting accepts, in words, from its schema. */
function accepted(schema: PropertySchema | undefined): string {
  if (!schema) return 'a valid value';
  if (schema.anyOf?.every((option) => option.const !== undefined)) {
    return `one of ${schema.anyOf.map((option) => String(option.const)).join(', ')}`;
  }
  if (schema.description && schema.type !== 'integer') return schema.description;
  if (schema.type === 'integer') {
    const range = `an integer from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`;
    return schema.description ? `${range} (${schema.description})` : range;
  }
  if (schema.type === 'boolean') return 'true or false';
  if (schema.pattern) return `text matching /${schema.pattern}/`;
  return `a ${schema.type ?? 'valid'} value`;
}

/** One line per bad setting, naming it, what it was given and what it accepts. */
function describeErrors(errors: AjvError[], data: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const error of errors) {
    const name =
      error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.replace(/^\//, '');
    if (name) names.add(name);
  }
  return [...names].map((name) => {
    if (data[name] === undefined) return `${name} is required: ${accepted(properties[name])}`;
    // Never echo a secret back into logs.
    const shown = /KEY/.test(name) ? '(hidden)' : JSON.stringify(data[name]);
    return `${name}=${shown} is not valid: expected ${accepted(properties[name])}`;
  });
}

/** Settings that may come from a file (a mounted secret) as `<NAME>_FILE`; key PEMs are read by the tokens lib. */
const SECRET_FILE_SETTINGS = ['ADMIN_API_KEY'];

/** Puts the content of each `<NAME>_FILE` into `<NAME>` (trailing newline dropped); throws ConfigError. */
function readSecretFiles(data: Record<string, unknown>) {
  for (const name of SECRET_FILE_SETTINGS) {
    const path = data[`${name}_FILE`];
    if (typeof path !== 'string') continue;
    if (data[name] !== undefined) throw new ConfigError(`${name} and ${name}_FILE are both set: set one of them`);
    try {
      data[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`${name}_FILE=${JSON.stringify(path)} cannot be read: ${(error as Error).message}`);
    }
  }
}

/** Reads and validates configuration from `env`, applying the defaults; throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as they do in docker-compose and shell `FOO= cmd`.
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  readSecretFiles(data);
  let config: Config;
  try {
    config = envSchema<Config>({
      schema: configSchema,
      data,
      env: false,
      dotenv: false,
      ajv: {
        customOptions(ajv) {
          // Every problem at once: an operator fixes them in one go.
          ajv.opts.allErrors = true;
          return ajv;
        },
      },
    });
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    const lines = errors ? describeErrors(errors, data) : [(error as Error).message];
    throw new ConfigError(lines.join('\n'));
  }
  if (config.MAX_CHARGE > config.MAX_BALANCE) {
    throw new ConfigError(
      `MAX_CHARGE=${config.MAX_CHARGE} is not valid: expected at most MAX_BALANCE (${config.MAX_BALANCE})`,
    );
  }
  if (config.DEV_IDENTITY && config.NODE_ENV === 'production') {
    throw new ConfigError(
      'DEV_IDENTITY=true is refused with NODE_ENV=production: the development login lets anyone be anyone',
    );
  }
  return config;
}

/** What an app needs configured beyond the defaults. */
export type Requirement = {
  /** Names the settings in the message, e.g. "TOKEN_PRIVATE_KEY or TOKEN_PRIVATE_KEY_FILE". */
  settings: string;
  why: string;
  satisfied: (config: Config) => boolean;
};

/** Throws ConfigError (one line per unmet requirement) unless every requirement is met. */
export function requireSettings(config: Config, requirements: Requirement[]): void {
  const unmet = requirements.filter((requirement) => !requirement.satisfied(config));
  if (unmet.length) throw new ConfigError(unmet.map((r) => `${r.settings} must be set: ${r.why}`).join('\n'));
}

/**
 * Runs every check and returns their results, or throws one ConfigError with the problems of all
 * of them, so an operator sees everything that is wrong at once.
 */
export function checkAll<T extends unknown[]>(...checks: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const results = checks.map((check) => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  });
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return results as T;
}

/** For a process entry point: runs `load` or prints why it cannot (one line per problem) and exits 1. */
export function loadConfigOrExit<T = Config>(
  env: NodeJS.ProcessEnv = process.env,
  check: (config: Config) => T = (config) => config as T,
): T {
  try {
    return check(loadConfig(env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration:\n${error.message.replace(/^/gm, '  ')}\n`);
    process.exit(1);
  }
}
