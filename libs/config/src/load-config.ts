import envSchema from 'env-schema';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates configuration from `env`, applying the defaults; throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as they do in docker-compose and shell `FOO= cmd`.
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  let config: Config;
  try {
    config = envSchema<Config>({ schema: configSchema, data, env: false, dotenv: false });
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
  if (config.MAX_CHARGE > config.MAX_BALANCE) {
    throw new ConfigError('Invalid configuration: MAX_CHARGE must not exceed MAX_BALANCE');
  }
  return config;
}

/** For a process entry point: loads the configuration or prints why it cannot and exits 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
