import { describe, expectTypeOf, it } from 'vitest';
import { ACTIVE_SPEAKER_THRESHOLDS, CLOUD_QUALITY_GRADES } from 'confer';
import { createLocalStream, listDevices, watchDevices } from 'confer/devices';
import type { Room, ConnectionQuality, LocalStream, Participant, RemoteStream, StreamStats, VideoLayer } from 'confer';

declare const room: Room;
declare const remote: RemoteStream;
declare const local: LocalStream;
declare const participant: Participant;

describe('awareness API', () => {
  it('types speakers, levels, quality and stats', () => {
    expectTypeOf(room.activeSpeakers).toEqualTypeOf<Participant[]>();
    room.on('activeSpeakersChanged', (speakers) => expectTypeOf(speakers).toEqualTypeOf<Participant[]>());
    room.on('connectionQualityChanged', (who, quality) => {
      expectTypeOf(who).toEqualTypeOf<Participant>();
      expectTypeOf(quality).toEqualTypeOf<ConnectionQuality>();
    });
    room.on('statsUpdated', (stream, stats) => {
      expectTypeOf(stream).toEqualTypeOf<LocalStream | RemoteStream>();
      expectTypeOf(stats).toEqualTypeOf<StreamStats>();
    });
    expectTypeOf<ConnectionQuality>().toEqualTypeOf<'excellent' | 'good' | 'poor' | 'lost' | 'unknown'>();
    expectTypeOf(remote.audioLevel).toEqualTypeOf<number>();
    expectTypeOf(local.audioLevel).toEqualTypeOf<number>();
    expectTypeOf(participant.connectionQuality).toEqualTypeOf<ConnectionQuality>();
    expectTypeOf(local.stats).toEqualTypeOf<StreamStats | undefined>();
    expectTypeOf(remote.stats?.videoLayer).toEqualTypeOf<VideoLayer | undefined>();
    expectTypeOf(local.speakingWhileMuted).toEqualTypeOf<boolean>();
    room.on('speakingWhileMutedChanged', (stream, speaking) => {
      expectTypeOf(stream).toEqualTypeOf<LocalStream>();
      expectTypeOf(speaking).toEqualTypeOf<boolean>();
    });
    expectTypeOf(CLOUD_QUALITY_GRADES.poor).toEqualTypeOf<'BAD'>();
    expectTypeOf(ACTIVE_SPEAKER_THRESHOLDS.percentile).toEqualTypeOf<40>();
    // @ts-expect-error quality is a string union, not a number
    const wrong: ConnectionQuality = 3;
    void wrong;
  });

  it('types devices and playback', () => {
    expectTypeOf(listDevices('videoinput')).toEqualTypeOf<Promise<MediaDeviceInfo[]>>();
    expectTypeOf(createLocalStream({ type: 'MIC' })).toEqualTypeOf<Promise<MediaStream>>();
    const stop = watchDevices(room, {
      onChange: (devices) => expectTypeOf(devices).toEqualTypeOf<MediaDeviceInfo[]>(),
      onFallback: (stream, kind, id) => {
        expectTypeOf(stream).toEqualTypeOf<LocalStream>();
        expectTypeOf(kind).toEqualTypeOf<'audio' | 'video'>();
        expectTypeOf(id).toEqualTypeOf<string>();
      },
    });
    expectTypeOf(stop).toEqualTypeOf<() => void>();
    // @ts-expect-error device events are watchDevices' callbacks, not room events
    room.on('devicesChanged', () => undefined);
    room.on('audioPlaybackBlocked', (stream, element) => {
      expectTypeOf(stream).toEqualTypeOf<RemoteStream>();
      expectTypeOf(element).toEqualTypeOf<HTMLMediaElement>();
    });
    expectTypeOf(remote.attach).parameters.toEqualTypeOf<[HTMLMediaElement]>();
    expectTypeOf(room.startAudio()).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error attach needs an element
    void remote.attach();
  });
});
