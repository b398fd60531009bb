export { configSchema, type Config } from './schema.js';
export { loadConfig, loadConfigOrExit, ConfigError } from './load-config.js';
