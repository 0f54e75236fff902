// Every test of api/conferenceEntity.test.ts, against the Redis store.
import { onRedis } from '../support/onRedis.js';

await onRedis();
await import('../../api/conferenceEntity.test.js');
