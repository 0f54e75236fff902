// Every test of api/errorMapping.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/errorMapping.test.js');
