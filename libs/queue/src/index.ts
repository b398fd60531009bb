export { queueKeys, queueRegistryKey, type QueueKeys } from './keys.js';
export {
  createWaitingRoom,
  estimateWaitSeconds,
  type WaitingRoom,
  type QueueSettings,
  type QueueFigures,
  type Placement,
  type JoinResult,
  type TokenRef,
  type TokenStatus,
} from './waiting-room.js';
export { createRedis, type RedisClient } from './redis.js';
export { QueueErrors } from './errors.js';
export { QUEUE_ID_PATTERN, USER_ID_PATTERN } from './ids.js';
export {
  waitingRoomFastifyPlugin,
  waitingRoomOptions,
  connectWaitingRoom,
  type WaitingRoomPluginOptions,
} from './plugin.js';
