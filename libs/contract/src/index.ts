/**
 * The HTTP contract of the system (DESIGN.md v2) in one place: the TypeBox schemas the servers
 * validate and serialise with and document in OpenAPI, the types clients get from them, and
 * typed `fetch` clients. Browser-safe: no Node-only imports.
 */
export * from './ids.js';
export * from './errors.js';
export * from './schemas/common.js';
export * from './schemas/identity.js';
export * from './schemas/queues.js';
export * from './schemas/admin.js';
export * from './schemas/concerts.js';
export * from './schemas/reservations.js';
export * from './schemas/points.js';
export * from './schemas/payments.js';
export * from './schemas/sales.js';
export {
  ApiError,
  retryAfterSecondsOf,
  type ApiErrorCode,
  type ApiResponse,
  type ClientOptions,
} from './client/request.js';
export { createGatewayClient, type GatewayClient } from './client/gateway.js';
export { createBookingClient, type BookingClient, type WriteOptions } from './client/booking.js';
