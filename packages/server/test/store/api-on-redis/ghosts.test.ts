// Every test of api/ghosts.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/ghosts.test.js');
