import type { components } from '@confer/contract';

/** One conference metadata entry as the aggregate shows it. */
export type MetadataEntry = components['schemas']['Metadata'];

/** Who sets a metadata entry. */
export interface MetadataAuthor {
  userId: string;
  userEndpointId?: string;
}

/**
 * The conference's key/value metadata. A Map, so keys such as `__proto__` are plain keys, and each
 * entry keeps who set it and when.
 */
export class ConferenceMetadata {
  private readonly entries = new Map<string, MetadataEntry>();

  /** Sets a key, recording the author and the time. */
  set(key: string, value: string, author: MetadataAuthor): void {
    this.entries.set(key, {
      value,
      lastModified: new Date().toISOString(),
      userId: author.userId,
      ...(author.userEndpointId === undefined ? {} : { userEndpointId: author.userEndpointId }),
    });
  }

  /** Whether the key is set. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Removes a key. */
  remove(key: string): void {
    this.entries.delete(key);
  }

  /** Puts back entries saved by {@link toJSON} (author and time kept). */
  restore(entries: Record<string, MetadataEntry>): void {
    for (const [key, entry] of Object.entries(entries)) this.entries.set(key, entry);
  }

  /** The entries as a JSON object (own properties, whatever the key). */
  toJSON(): Record<string, MetadataEntry> {
    return Object.fromEntries(this.entries);
  }
}
