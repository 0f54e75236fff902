import { describe, expect, it } from 'vitest';
import { Conference, type EndpointSnapshot } from '../../src/conference/Conference.js';
import { ConferenceLocals } from '../../src/conference/ConferenceLocals.js';
import type { ConferenceEvent } from '../../src/conference/EventLog.js';
import { SweptLiveness } from '../../src/conference/SweptLiveness.js';
import type { EndpointHealth } from '../../src/media/MediaRouter.js';

const TIMINGS = { sickAfterMs: 1_000, removeAfterMs: 2_000, hungUpSickAfterMs: 100, hungUpRemoveAfterMs: 200 };

function swept(clock: { now: number }, state: EndpointHealth = 'HEALTHY', fresh = true) {
  const changes: EndpointHealth[] = [];
  const ghosts: string[] = [];
  const liveness = new SweptLiveness(
    TIMINGS,
    { onStateChange: (s) => changes.push(s), onGhost: (r) => ghosts.push(r) },
    { mediaSick: false, silent: false, hungUp: false },
    state,
    fresh,
    () => clock.now,
  );
  return { liveness, changes, ghosts };
}

describe('a conference saved as a snapshot', () => {
  it('loads back to the same snapshot, and its next event continues the version', () => {
    const events: ConferenceEvent[] = [];
    const original = new Conference({ id: 'c', organizationId: 'org', creator: 'alice', metadata: { topic: 't' }, eventRetention: 3, firstVersion: 1, onEvent: (e) => events.push(e) });
    const clock = { now: 0 };
    original.join('a1', 'alice', { name: 'A' }, () => swept(clock).liveness);
    original.join('b1', 'bob', {}, () => swept(clock).liveness);
    original.publish({ id: 's1', userEndpointId: 'a1', type: 'CAM', metadata: { label: 'cam' } });
    original.addViewer({ id: 'v1', userEndpointId: 'b1', streamId: 's1' });
    original.setMetadata('b1', 'k', 'v');
    const saved = JSON.parse(JSON.stringify(original.toSnapshot())) as ReturnType<Conference['toSnapshot']>;

    const loaded = Conference.fromSnapshot(saved, {
      eventRetention: 3,
      onEvent: (e) => events.push(e),
      locals: new ConferenceLocals(),
      createLiveness: (endpoint: EndpointSnapshot) => swept(clock, endpoint.state, false).liveness,
    });
    expect(loaded.toSnapshot()).toEqual(saved);
    expect(loaded.version).toBe(original.version);
    // Retention 3 of 4 events from version 1: the oldest kept is 2, whether the events are here or elsewhere.
    expect(loaded.oldestVersion).toBe(original.oldestVersion);
    expect(loaded.oldestVersion).toBe(2);
    // The loaded records are the same ones: a stream is still "this very stream".
    expect(loaded.isPublished(original.stream('s1')!)).toBe(true);
    expect(loaded.isJoined(original.endpoint('a1')!)).toBe(true);
    loaded.setParticipantMetadata('a1', { name: 'A2' });
    expect(events.at(-1)).toMatchObject({ type: 'ConferenceParticipantMetadataUpdatedEvent', conferenceVersion: 5 });
  });
});

describe('the ghost rule with deadlines instead of timers', () => {
  it('sets a SICK deadline on join; the first expiry is SICK with a removal deadline, the second a ghost saying why', () => {
    const clock = { now: 10_000 };
    const { liveness, changes, ghosts } = swept(clock);
    expect(liveness.deadline).toBe(11_000);
    clock.now = 11_000;
    liveness.expire();
    expect(changes).toEqual(['SICK']);
    expect(liveness.deadline).toBe(13_000);
    expect(liveness.postponeOnly).toBe(false);
    liveness.expire();
    expect(ghosts).toEqual(['ghost: no event poll and no request for 3 s']);
    expect(liveness.deadline).toBeUndefined();
  });

  it('a sign of life makes a silent endpoint HEALTHY; a plain one only postpones; a poll counts for its whole wait', () => {
    const clock = { now: 0 };
    const { liveness, changes } = swept(clock);
    clock.now = 500;
    liveness.touch(5_000);
    expect([liveness.deadline, liveness.postponeOnly]).toEqual([6_500, true]);
    liveness.expire();
    liveness.touch();
    expect(changes).toEqual(['SICK', 'HEALTHY']);
    // Leaving SICK replaces the removal deadline with a SICK one, not only when later.
    expect([liveness.deadline, liveness.postponeOnly]).toEqual([1_500, false]);
  });

  it('after a hang-up uses the short timings, and media SICK alone changes the state but sets no deadline', () => {
    const clock = { now: 0 };
    const { liveness, changes, ghosts } = swept(clock, 'HEALTHY', false);
    liveness.setMediaHealth('SICK');
    expect([changes, liveness.deadline]).toEqual([['SICK'], undefined]);
    liveness.hangUp();
    expect(liveness.deadline).toBe(100);
    liveness.expire();
    liveness.expire();
    expect(ghosts).toEqual(['ghost: its event poll was hung up, then no event poll and no request for 0.3 s, media failed']);
  });
});
