import { describe, expect, it } from 'vitest';
import { viewerSetup } from '../fakes/viewer.js';

const view = () => viewerSetup('MIC_AND_CAM');

describe('RemoteStream stats', () => {
  it('carry the layer videoLayer reports: in each sample, and as it changes between samples', async () => {
    const { pcs, stream, viewer, sampled } = view();
    await viewer.start();
    const channel = pcs.created[0]!.channels[0]!;
    channel.open();
    await viewer.sampleStats();
    await viewer.sampleStats();
    expect(sampled).toHaveLength(1);
    expect(sampled[0]).toHaveProperty('videoLayer', undefined);

    channel.receive({ type: 'layer', rid: 'h', width: 640, height: 360 });
    expect(stream.stats?.videoLayer).toEqual({ rid: 'h', width: 640, height: 360 });
    // Read on every frame by a UI: the same object until a sample or the layer changes.
    expect(stream.stats).toBe(stream.stats);
    const beforeSample = stream.stats;
    await viewer.sampleStats();
    expect(stream.stats).not.toBe(beforeSample);
    expect(sampled[1]?.videoLayer).toEqual({ rid: 'h', width: 640, height: 360 });

    channel.receive({ type: 'layer', rid: null, width: 0, height: 0 });
    expect(stream.stats?.videoLayer).toBe(stream.videoLayer);
    expect(stream.videoLayer).toEqual({ rid: null, width: 0, height: 0 });
    // A sample already handed out keeps the layer of its time.
    expect(sampled[1]?.videoLayer?.rid).toBe('h');

    viewer.close();
    expect(stream.stats).toBeUndefined();
    expect(stream.videoLayer).toBeUndefined();
  });
});
