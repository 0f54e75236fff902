// Every test of api/events.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/events.test.js');
