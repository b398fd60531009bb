export { HttpErrors, type ErrorBody } from './errors.js';
export { createServer, listen, BODY_LIMIT_BYTES } from './server.js';
export { errorHandlerPlugin } from './plugins/error-handler.js';
export { healthPlugin, type HealthCheck } from './plugins/health.js';
export { metricsPlugin } from './plugins/metrics.js';
export { docsPlugin, type DocsOptions } from './plugins/docs.js';
export { errorResponses } from './schemas.js';
