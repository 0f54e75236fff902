// Every test of api/fuzz.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/fuzz.test.js');
