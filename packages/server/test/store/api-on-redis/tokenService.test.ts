// Every test of api/tokenService.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/tokenService.test.js');
