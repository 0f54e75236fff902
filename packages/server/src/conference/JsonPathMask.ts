type Segment =
  | { kind: 'child'; key: string | number | '*' }
  | { kind: 'descendant'; key: string | '*' };

interface Location {
  parent: Record<string | number, unknown>;
  key: string | number;
}

const NAME = /^[A-Za-z_$][\w$-]*/;

/**
 * A mask given to sendEvent: a JSON path (the dot/bracket subset: `$.a.b`, `$['a']`, `$.list[0]`,
 * `$.list[*].x`, `$..secret`) whose string values are replaced by as many `*` wherever the server
 * logs or keeps the event.
 */
export class JsonPathMask {
  private readonly segments: Segment[];

  /** Parses the path; throws an Error saying what is wrong with it. */
  constructor(readonly path: string) {
    this.segments = parse(path);
  }

  /**
   * Masks the matching values of `document` in place. A match that is not a string throws an Error
   * (the API masks strings only, and a readable value would defeat the mask); with `lenient` it is
   * replaced by stars too, for masking a log line that must never fail.
   */
  applyTo(document: unknown, lenient = false): void {
    for (const { parent, key } of this.locate(document)) {
      const value = parent[key];
      if (typeof value === 'string') {
        parent[key] = '*'.repeat(value.length);
      } else if (lenient) {
        parent[key] = '*'.repeat(JSON.stringify(value)?.length ?? 1);
      } else {
        throw new Error(`${this.path} points at ${describe(value)}, not a string`);
      }
    }
  }

  private locate(document: unknown): Location[] {
    let nodes: unknown[] = [document];
    let locations: Location[] = [];
    for (const segment of this.segments) {
      locations = [];
      for (const node of nodes) {
        const scope = segment.kind === 'descendant' ? descendantsAndSelf(node) : [node];
        for (const candidate of scope) locations.push(...children(candidate, segment.key));
      }
      nodes = locations.map(({ parent, key }) => parent[key]);
    }
    return locations;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' || typeof value === 'undefined' ? `an ${typeof value}` : `a ${typeof value}`;
}

function children(node: unknown, key: string | number): Location[] {
  if (node === null || typeof node !== 'object') return [];
  const parent = node as Record<string | number, unknown>;
  if (key === '*') return Object.keys(parent).map((k) => ({ parent, key: Array.isArray(node) ? Number(k) : k }));
  return Object.hasOwn(parent, key) ? [{ parent, key }] : [];
}

function descendantsAndSelf(node: unknown): unknown[] {
  const all: unknown[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    all.push(current);
    if (current !== null && typeof current === 'object') stack.push(...Object.values(current));
  }
  return all;
}

function parse(path: string): Segment[] {
  if (!path.startsWith('$')) throw new Error(`${path} must begin with $`);
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const descendant = rest.startsWith('..');
    if (rest.startsWith('.')) {
      rest = rest.slice(descendant ? 2 : 1);
      const name = rest.startsWith('*') ? '*' : NAME.exec(rest)?.[0];
      if (!name) throw new Error(`${path}: expected a name after "."`);
      segments.push({ kind: descendant ? 'descendant' : 'child', key: name });
      rest = rest.slice(name.length);
      continue;
    }
    const bracket = /^\[(?:(\d+)|\*|'([^']*)'|"([^"]*)")\]/.exec(rest);
    if (!bracket) throw new Error(`${path}: expected .name, [index], ['name'] or [*] at "${rest}"`);
    const key = bracket[1] !== undefined ? Number(bracket[1]) : (bracket[2] ?? bracket[3] ?? '*');
    segments.push({ kind: 'child', key });
    rest = rest.slice(bracket[0].length);
  }
  if (segments.length === 0) throw new Error(`${path} names the whole event: mask a field`);
  return segments;
}
