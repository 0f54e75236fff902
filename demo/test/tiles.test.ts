import { describe, expect, it } from 'vitest';
import { newRoomName } from '../../demo/prejoin/PreJoin.js';
import { initials } from '../../demo/tiles/Tile.js';

describe('initials', () => {
  it('takes the first and last word', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  bob  ')).toBe('B');
    expect(initials('Jean Paul Sartre')).toBe('JS');
  });

  it('keeps a letter outside the BMP whole, and has a fallback', () => {
    expect(initials('𝒜lice')).toBe('𝒜');
    expect(initials('')).toBe('?');
  });
});

describe('newRoomName', () => {
  it('is three groups of letters a room field accepts', () => {
    expect(newRoomName()).toMatch(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  });

  it('leaves out letters that read alike (l, o)', () => {
    expect(newRoomName(() => 0.99)).toBe('zzz-zzzz-zzz');
    expect(newRoomName(() => 0)).not.toMatch(/[lo]/);
  });
});
