/** How long a toast stays: long enough to read a sentence, errors a little longer. */
const INFO_MS = 4000;
const ERROR_MS = 8000;

/** A button in a toast; a toast with one stays until it is used, since it asks for something. */
export interface ToastAction {
  label: string;
  run: () => void;
}

/**
 * Short messages at the top that go away by themselves (or when clicked). A repeated message
 * restarts its timer instead of stacking up copies.
 */
export class Toasts {
  constructor(private readonly container: HTMLElement) {}

  show(text: string, kind: 'error' | 'info' = 'info', action?: ToastAction): void {
    const existing = [...this.container.children].find((node) => (node as HTMLElement).dataset.text === text);
    existing?.remove();
    const toast = document.createElement('div');
    toast.className = 'toast';
    toast.dataset.kind = kind;
    // Errors interrupt a screen reader; information waits its turn.
    toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    toast.dataset.text = text;
    toast.textContent = text;
    const timer = action ? undefined : setTimeout(() => toast.remove(), kind === 'error' ? ERROR_MS : INFO_MS);
    if (action) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action.label;
      toast.append(' ', button);
    }
    toast.addEventListener('click', () => {
      clearTimeout(timer);
      toast.remove();
      action?.run();
    });
    this.container.append(toast);
  }

  clear(): void {
    this.container.replaceChildren();
  }
}
