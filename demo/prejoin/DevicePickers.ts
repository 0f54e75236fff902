import { canChooseSpeaker, listDevices, type DeviceLists } from './devices.js';

/** The devices chosen in the pickers (undefined: the browser's default). */
export interface DeviceChoice {
  cameraId?: string;
  microphoneId?: string;
  speakerId?: string;
}

/**
 * Three `<select>`s (camera, microphone, speaker) used by the pre-join screen and the in-call
 * settings menu. The speaker picker hides itself where the browser cannot route audio (no setSinkId).
 * Re-lists when devices are plugged in or out.
 */
export class DevicePickers {
  readonly element: HTMLElement;
  private readonly camera: HTMLSelectElement;
  private readonly microphone: HTMLSelectElement;
  private readonly speaker: HTMLSelectElement;
  private readonly speakerLabel: HTMLElement;
  private readonly controller = new AbortController();

  constructor(onChange: (kind: 'camera' | 'microphone' | 'speaker', deviceId: string) => void) {
    this.element = document.createElement('div');
    this.element.className = 'device-pickers';
    const picker = (label: string, kind: 'camera' | 'microphone' | 'speaker') => {
      const wrapper = document.createElement('label');
      const select = document.createElement('select');
      select.name = kind;
      select.addEventListener('change', () => onChange(kind, select.value), { signal: this.controller.signal });
      wrapper.append(label, select);
      this.element.append(wrapper);
      return { wrapper, select };
    };
    this.camera = picker('Camera', 'camera').select;
    this.microphone = picker('Microphone', 'microphone').select;
    const speaker = picker('Speaker', 'speaker');
    this.speaker = speaker.select;
    this.speakerLabel = speaker.wrapper;
    this.speakerLabel.hidden = !canChooseSpeaker();
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refresh(), { signal: this.controller.signal });
  }

  /** What is selected now. */
  get choice(): DeviceChoice {
    const value = (select: HTMLSelectElement) => select.value || undefined;
    return { cameraId: value(this.camera), microphoneId: value(this.microphone), speakerId: value(this.speaker) };
  }

  /** Lists the devices again, keeping `selected` (or the current selection) where it still exists. */
  async refresh(selected: DeviceChoice = this.choice): Promise<void> {
    const lists: DeviceLists = await listDevices();
    fill(this.camera, lists.cameras, selected.cameraId, 'Camera');
    fill(this.microphone, lists.microphones, selected.microphoneId, 'Microphone');
    fill(this.speaker, lists.speakers, selected.speakerId, 'Speaker');
  }

  close(): void {
    this.controller.abort();
    this.element.remove();
  }
}

function fill(select: HTMLSelectElement, devices: MediaDeviceInfo[], selected: string | undefined, noun: string): void {
  const options = devices.map((device, i) => {
    const option = document.createElement('option');
    option.value = device.deviceId;
    // Labels stay empty until the page may capture; number them rather than show blanks.
    option.textContent = device.label || `${noun} ${i + 1}`;
    return option;
  });
  if (options.length === 0) {
    const none = document.createElement('option');
    none.value = '';
    none.textContent = `No ${noun.toLowerCase()} found`;
    options.push(none);
  }
  select.replaceChildren(...options);
  select.disabled = devices.length === 0;
  if (selected && devices.some((device) => device.deviceId === selected)) select.value = selected;
}
