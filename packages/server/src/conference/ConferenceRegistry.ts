import { Conference, type ConferenceInit } from './Conference.js';

/** The live conferences, each organization in its own namespace. */
export class ConferenceRegistry {
  private readonly byOrganization = new Map<string, Map<string, Conference>>();
  private readonly byMediaKey = new Map<string, Conference>();

  /** The conference of that organization with that id, if live. */
  get(organizationId: string, id: string): Conference | undefined {
    return this.byOrganization.get(organizationId)?.get(id);
  }

  /** The conference the media plane names by its key. */
  getByMediaKey(mediaKey: string): Conference | undefined {
    return this.byMediaKey.get(mediaKey);
  }

  /** Creates and registers a conference; the caller has checked that the id is free. */
  create(init: ConferenceInit): Conference {
    const conference = new Conference(init);
    let conferences = this.byOrganization.get(init.organizationId);
    if (!conferences) {
      conferences = new Map();
      this.byOrganization.set(init.organizationId, conferences);
    }
    conferences.set(conference.id, conference);
    this.byMediaKey.set(conference.mediaKey, conference);
    return conference;
  }

  /** Forgets a conference (after it has ended). */
  remove(conference: Conference): void {
    const conferences = this.byOrganization.get(conference.organizationId);
    if (conferences?.get(conference.id) !== conference) return;
    conferences.delete(conference.id);
    if (conferences.size === 0) this.byOrganization.delete(conference.organizationId);
    this.byMediaKey.delete(conference.mediaKey);
  }

  /** Every live conference. */
  all(): Conference[] {
    return [...this.byMediaKey.values()];
  }

  /** Closes and forgets every conference: waiting polls answer, timers stop. */
  closeAll(): void {
    for (const conference of this.all()) {
      conference.close();
      this.remove(conference);
    }
  }
}
