import type { Participant } from 'confer';

/** The people panel: you first, then everyone else, with a word when their connection is failing. */
export class ParticipantList {
  constructor(
    private readonly list: HTMLElement,
    private readonly count: HTMLElement,
  ) {}

  render(selfName: string, others: readonly Participant[]): void {
    const self = document.createElement('li');
    self.className = 'self';
    self.textContent = `${selfName} (you)`;
    const rows = others.map((participant) => {
      const row = document.createElement('li');
      row.dataset.userEndpointId = participant.userEndpointId;
      const name = document.createElement('span');
      name.textContent = displayName(participant);
      name.title = participant.userId ?? participant.userEndpointId;
      row.append(name);
      if (participant.state === 'SICK') {
        const state = document.createElement('span');
        state.className = 'badge sick';
        state.textContent = 'connection problems';
        row.append(state);
      }
      return row;
    });
    this.list.replaceChildren(self, ...rows);
    this.count.textContent = String(others.length + 1);
  }

  clear(): void {
    this.list.replaceChildren();
    this.count.textContent = '0';
  }
}

/** The participant's `name` (from its metadata, as the native clients set it), else its user id. */
export function displayName(participant: Participant | undefined): string {
  const name = participant?.name;
  if (name?.trim()) return name.trim();
  return participant?.userId ?? 'Someone';
}
