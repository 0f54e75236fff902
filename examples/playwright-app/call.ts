import { Room } from 'confer';

// ?server=…&room=…&name=…: the tests point the page at their own server; an app would know its own.
const params = new URLSearchParams(location.search);
const name = params.get('name') ?? 'guest';
const room = new Room({ baseUrl: params.get('server') ?? 'http://127.0.0.1:8080', auth: { clientId: 'demo', clientSecret: 'demo', userId: name } });
room.on('streamAdded', (remote) => {
  const video = Object.assign(document.createElement('video'), { srcObject: remote.mediaStream, autoplay: true, muted: true, playsInline: true });
  Object.assign(video.dataset, { user: remote.userId ?? '', stream: remote.streamId });
  document.querySelector('#videos')?.append(video);
});
room.on('streamRemoved', (remote) => document.querySelector(`video[data-stream="${remote.streamId}"]`)?.remove());
document.querySelector('#leave')?.addEventListener('click', () => void room.leave());
await room.join(params.get('room') ?? 'lobby', { create: true, metadata: { name } });
await room.publish({ type: 'MIC_AND_CAM' });
