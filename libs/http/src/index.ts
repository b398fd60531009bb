export { HttpErrors, type HttpErrorCode, type ErrorBody } from './errors.js';
export { createServer, listen, BODY_LIMIT_BYTES } from './server.js';
export { errorHandlerPlugin, sendError } from './plugins/error-handler.js';
export { healthPlugin, type HealthCheck } from './plugins/health.js';
export { metricsPlugin } from './plugins/metrics.js';
export { docsPlugin, nameComponents, type DocsOptions } from './plugins/docs.js';
export { frontDoorPlugin, adminKeyGuard, type FrontDoorOptions } from './plugins/front-door.js';
export { errorResponses, respond, noContent, commonResponseHeaders, emptyBodyAsObject } from './schemas.js';
export { isInfrastructureError, OUTAGE_RETRY_AFTER_SECONDS } from './infrastructure.js';
