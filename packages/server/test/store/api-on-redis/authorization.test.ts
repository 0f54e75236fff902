// Every test of api/authorization.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/authorization.test.js');
