export { queueKeys, type QueueKeys } from './keys.js';
export {
  createWaitingRoom,
  estimateWaitSeconds,
  pollAfterSeconds,
  type WaitingRoom,
  type QueueSettings,
  type StoredQueueSettings,
  type QueueSettingsLoader,
  type QueueFigures,
  type QueueOverviewFigures,
  type QueueTotals,
  type RemovalReason,
  type Placement,
  type JoinResult,
  type LinePlacement,
  type RawLineSnapshot,
  type QueueView,
} from './waiting-room.js';
export type { TokenRef } from '@concert/contract';
export { newDrawSeed, drawCommitment, drawKey, drawOrder } from './draw.js';
export { createPresenceRecorder, type PresenceRecorder } from './presence.js';
export { createPlacementHub, type PlacementHub, type PlacementSource } from './placement-hub.js';
export { createPlacementReader, type PlacementReader } from './line-snapshot.js';
export {
  createRedis,
  duplicateRedis,
  redisWriteCheck,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis.js';
export { QueueErrors, type QueueErrorCode } from './errors.js';
export { issueQueueToken } from './issue-token.js';
export {
  waitingRoomFastifyPlugin,
  waitingRoomOptions,
  redisConnectionOf,
  connectWaitingRoom,
  type WaitingRoomPluginOptions,
} from './plugin.js';
export {
  createSeatsLeft,
  seatKeys,
  APPLIED_EFFECTS_RETENTION_MS,
  type SeatsLeft,
  type SeatFigures,
  type SeatDelta,
} from './seats.js';
