import { DevicePickers, type DeviceChoice } from '../prejoin/DevicePickers.js';

/**
 * The in-call settings dialog: the same camera / microphone / speaker pickers as the pre-join
 * screen, applied at once to the call (LocalStream.switchDevice; setSinkId for the speaker).
 */
export class SettingsMenu {
  private readonly pickers: DevicePickers;

  constructor(
    private readonly dialog: HTMLDialogElement,
    slot: HTMLElement,
    onChange: (kind: 'camera' | 'microphone' | 'speaker', deviceId: string) => void,
  ) {
    this.pickers = new DevicePickers(onChange);
    slot.replaceChildren(this.pickers.element);
  }

  /** Opens the dialog with `current` selected. */
  open(current: DeviceChoice): void {
    void this.pickers.refresh(current);
    this.dialog.showModal();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }
}
