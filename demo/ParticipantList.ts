import type { Participant } from 'confer';

/** The sidebar list: you first, then everyone else with their user id and SICK state. */
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
      const state = document.createElement('span');
      state.className = participant.state === 'SICK' ? 'badge sick' : 'badge';
      state.textContent = participant.state === 'SICK' ? 'SICK' : `${participant.streams.length} stream${participant.streams.length === 1 ? '' : 's'}`;
      row.append(name, state);
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

/** The participant's metadata `name` (the demo's convention), else its user id. */
export function displayName(participant: Participant | undefined): string {
  const name = participant?.metadata.name;
  if (typeof name === 'string' && name.trim()) return name.trim();
  return participant?.userId ?? 'Someone';
}
