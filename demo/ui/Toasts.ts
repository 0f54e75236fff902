/** How long a toast stays: long enough to read a sentence, errors a little longer. */
const INFO_MS = 4000;
const ERROR_MS = 8000;

/**
 * Short messages in a corner that go away by themselves (or when clicked). A repeated message
 * restarts its timer instead of stacking up copies.
 */
export class Toasts {
  constructor(private readonly container: HTMLElement) {}

  show(text: string, kind: 'error' | 'info' = 'info'): void {
    const existing = [...this.container.children].find((node) => node.textContent === text);
    existing?.remove();
    const toast = document.createElement('div');
    toast.className = 'toast';
    toast.dataset.kind = kind;
    // Errors interrupt a screen reader; information waits its turn.
    toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    toast.textContent = text;
    const timer = setTimeout(() => toast.remove(), kind === 'error' ? ERROR_MS : INFO_MS);
    toast.addEventListener('click', () => {
      clearTimeout(timer);
      toast.remove();
    });
    this.container.append(toast);
  }

  clear(): void {
    this.container.replaceChildren();
  }
}
