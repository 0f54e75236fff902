// Every test of api/metadata.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/metadata.test.js');
