export { HttpErrors, type ErrorBody } from './errors.js';
export { createServer, listen, loggerOptions, serverOptions, BODY_LIMIT_BYTES } from './server.js';
export { errorHandlerPlugin } from './plugins/error-handler.js';
export { healthPlugin, type HealthCheck } from './plugins/health.js';
export { metricsPlugin } from './plugins/metrics.js';
export { docsPlugin, type DocsOptions } from './plugins/docs.js';
export { errorResponses, errorSchema } from './schemas.js';
