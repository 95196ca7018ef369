export { redisKeys, type RedisKeys } from './keys.js';
export { connectRedis, type RedisConnectionKind, type Redis } from './connection.js';
