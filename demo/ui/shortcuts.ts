/** The call's keyboard shortcuts: one letter each, as in the common meeting apps, shown in the buttons' titles. */
export const SHORTCUTS = { microphone: 'm', camera: 'v' } as const;

/**
 * Calls `actions[name]` when its key is pressed without modifiers, unless the person is typing in a
 * field (a name with an "m" in it must not mute anyone). Returns the function that stops listening.
 */
export function bindShortcuts(actions: Record<keyof typeof SHORTCUTS, () => void>, target: Document = document): () => void {
  const controller = new AbortController();
  target.addEventListener(
    'keydown',
    (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      const element = event.target as HTMLElement | null;
      if (element?.closest('input, textarea, select, [contenteditable="true"]')) return;
      const key = event.key.toLowerCase();
      for (const [name, shortcut] of Object.entries(SHORTCUTS) as Array<[keyof typeof SHORTCUTS, string]>) {
        if (key === shortcut) {
          event.preventDefault();
          actions[name]();
        }
      }
    },
    { signal: controller.signal },
  );
  return () => controller.abort();
}
