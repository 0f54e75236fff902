// Every test of api/strict.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/strict.test.js');
