export {
  resolveTestServices,
  publishTestServices,
  stopTestServices,
  SERVICES_FILE,
  type TestServices,
} from './services.js';
