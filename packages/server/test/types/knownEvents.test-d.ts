import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '@confer/contract';
import type { KnownEventDraft } from '../../src/conference/EventLog.js';

const accept = (draft: KnownEventDraft) => draft;

describe('KnownEventDraft', () => {
  it('takes each of the contract known events without the fields the log stamps', () => {
    accept({ type: 'ConferenceLeftEvent', userId: 'u', userEndpointId: 'e', reason: 'left' });
    accept({ type: 'ConferenceStreamPublishedEvent', userId: 'u', userEndpointId: 'e', streamId: 's', streamType: 'CAM', metadata: {} });
    accept({ type: 'ConferenceMetadataUpdatedEvent', key: 'k', operation: 'REMOVE' });
    expectTypeOf<KnownEventDraft['type']>().toEqualTypeOf<components['schemas']['KnownConferenceEvent']['type']>();
  });

  it('refuses a wrong field, a wrong type, a missing field and an unknown event type', () => {
    // @ts-expect-error streamType is not a field of ConferenceLeftEvent
    accept({ type: 'ConferenceLeftEvent', reason: 'left', streamType: 'CAM' });
    // @ts-expect-error videoBitrate is a number
    accept({ type: 'ConferencePublishedStreamBitrateUpdatedEvent', streamId: 's', videoBitrate: '100' });
    // @ts-expect-error ConferenceJoinedEvent needs its metadata
    accept({ type: 'ConferenceJoinedEvent', userId: 'u' });
    // @ts-expect-error custom events go through appendCustom, not the typed path
    accept({ type: 'ParticipantKickedEvent' });
    // @ts-expect-error the log assigns the version
    accept({ type: 'ConferenceLeftEvent', conferenceVersion: 3 });
  });
});
