export { configSchema, type Config } from './schema.js';
export {
  loadConfig,
  loadConfigOrExit,
  requireSettings,
  checkAll,
  ConfigError,
  type Requirement,
} from './load-config.js';
