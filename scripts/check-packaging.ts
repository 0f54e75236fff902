/**
 * Proves that a frontend developer installing `confer` gets the browser library and nothing of the server:
 *
 *   1. packs `confer` and `@confer/contract` (prepack builds confer);
 *   2. installs both tarballs into a fresh app, offline, and asserts that npm printed no EBADENGINE and that
 *      the installed tree is exactly confer, its runtime dependencies and theirs, none of the server's packages;
 *      measures the package count and the size of node_modules (bench/results/packaging.json);
 *   3. type-checks the library snippet of README.md ("## The library…") and of the shipped confer/README.md against
 *      the installed package (skipLibCheck: false) under TypeScript 5.9 and under the newest TypeScript (root
 *      devDependency `typescript-latest`);
 *   4. bundles the snippets with Vite and asserts the bundle imports no Node built-in.
 *
 * Runs offline: the app gets a package-lock.json derived from the root one, because `npm ci` caches the tarballs
 * and only the abbreviated packuments, and npm 11 asks for full packuments to resolve an install without a lock.
 *
 *   npm run check:packaging
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { type BenchRow, report } from '../bench/lib/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What `confer` may pull in at runtime; adding a dependency to the browser library should be a decision made here too. */
const RUNTIME_DEPENDENCIES = ['@confer/contract', 'nanoevents', 'openapi-fetch', 'sdp'];

/** The server's dependencies and the Node-only types: none of them may reach a browser app. */
const FORBIDDEN = [
  '@confer/server', 'fastify', 'werift', 'ajv', 'jose', 'pino', 'yaml', '@peculiar/x509', '@noble/curves',
  '@types/node', '@types/dom-webcodecs', 'mediabunny',
];

/** The compilers the snippet must type-check under: the repository's pinned 5.9 and the newest, installed as an alias. */
const COMPILERS = [
  { pkg: 'typescript', expect: /^5\.9\./ },
  { pkg: 'typescript-latest', expect: /^\d+\./ },
];

const NODE_BUILTINS = new Set(builtinModules);

/** One entry of package-lock.json's `packages`. */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** A package-lock.json (v2 or v3). */
export interface Lockfile {
  name?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** A packed package: where it sits in the source lockfile ('' for the root package) and its tarball. */
export interface Packed {
  name: string;
  location: string;
  tarball: string;
}

/** What installing into a fresh app produced. */
export interface Installed {
  output: string;
  packages: Map<string, string>;
  lock: Lockfile;
  diskBytes: number;
  apparentBytes: number;
}

class CheckFailed extends Error {}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const kb = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`);

// `npm run` exports npm_config_local_prefix=/work/main, which would make npm in the temp app act on the repository.
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(local_prefix|workspaces?|include_workspace_root|global|call)$/i.test(key)) delete env[key];
  }
  return env;
}

/** Runs npm (the one running this script when there is one) and returns its combined output; throws on a non-zero exit. */
export function npm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  const [command, argv] = execPath?.endsWith('.js') ? [process.execPath, [execPath, ...args]] : ['npm', args];
  const result = spawnSync(command, argv, { cwd, env: npmEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout}${result.stderr}`;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new CheckFailed(`npm ${args.join(' ')} (in ${cwd}) exited with ${result.status}:\n${output}`);
  return output;
}

/** Node's resolution over lockfile locations: the package's own node_modules, then each enclosing one. */
function lockResolve(lock: Lockfile, name: string, from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    const entry = lock.packages[candidate];
    if (entry) return entry.link && entry.resolved !== undefined ? entry.resolved : candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut >= 0 ? dir.slice(0, cut) : '';
  }
}

/** The dependency edges npm installs for an entry: dependencies and non-optional peers are required, optionals are not. */
function edges(entry: LockEntry): { name: string; optional: boolean }[] {
  const optionalPeers = new Set(Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
  ];
}

/** The lockfile locations reachable from `starts`, following required edges only or all of them. */
function closure(lock: Lockfile, starts: string[], withOptional: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [...starts];
  for (let loc = queue.shift(); loc !== undefined; loc = queue.shift()) {
    if (seen.has(loc)) continue;
    seen.add(loc);
    const entry = lock.packages[loc];
    if (!entry) throw new CheckFailed(`${loc} is missing from the lockfile`);
    for (const edge of edges(entry)) {
      if (edge.optional && !withOptional) continue;
      const target = lockResolve(lock, edge.name, loc);
      if (target === undefined) {
        if (edge.optional) continue;
        throw new CheckFailed(`${edge.name} (needed by ${loc || 'the root package'}) is not in the lockfile, so it cannot be installed offline`);
      }
      queue.push(target);
    }
  }
  return seen;
}

const sha512 = (path: string) => `sha512-${createHash('sha512').update(readFileSync(path)).digest('base64')}`;

/**
 * The app's package-lock.json: the packed packages from their tarballs, everything they need with the versions and
 * integrities of `source`, so that `npm install --offline` needs no packument, only the cached tarballs.
 */
export function deriveLock(source: Lockfile, packed: Packed[], appDir: string): Lockfile {
  const appLocation = (loc: string): string => {
    for (const p of packed) {
      if (loc === p.location) return `node_modules/${p.name}`;
      if (p.location !== '' && loc.startsWith(`${p.location}/node_modules/`)) return `node_modules/${p.name}/${loc.slice(p.location.length + 1)}`;
    }
    if (loc.startsWith('node_modules/')) return loc;
    throw new CheckFailed(`${loc} is a workspace package that was not packed`);
  };
  const starts = packed.map((p) => p.location);
  const required = closure(source, starts, false);
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  const packages: Record<string, LockEntry> = { '': { name: 'confer-packaging-check', dependencies } };
  for (const loc of closure(source, starts, true)) {
    const target = appLocation(loc);
    if (packages[target]) throw new CheckFailed(`two packages of the lockfile would land at ${target}`);
    // The source's dev/optional/peer flags describe its own tree, not this app's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, optional: _optional, extraneous: _extraneous, ...entry } = source.packages[loc]!;
    const own = packed.find((p) => p.location === loc);
    if (own) {
      const { name: _name, devDependencies: _devDependencies, workspaces: _workspaces, ...manifest } = entry;
      packages[target] = { ...manifest, resolved: `file:${own.tarball}`, integrity: sha512(join(appDir, own.tarball)) };
    } else {
      packages[target] = required.has(loc) ? entry : { ...entry, optional: true };
    }
  }
  return { name: 'confer-packaging-check', lockfileVersion: 3, requires: true, packages };
}

/** du-style size of a directory: allocated blocks, and the apparent size (symlinks not followed). */
function directorySize(dir: string): { disk: number; apparent: number } {
  let disk = 0;
  let apparent = 0;
  const walk = (path: string): void => {
    const stat = lstatSync(path);
    disk += stat.blocks * 512;
    apparent += stat.size;
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return { disk, apparent };
}

/** Creates an app in `appDir`, installs the tarballs offline with a lock derived from `source`, and measures it. */
export function installIntoApp(appDir: string, source: Lockfile, packed: Packed[], extraNpmArgs: string[] = ['--offline']): Installed {
  mkdirSync(appDir, { recursive: true });
  for (const p of packed) copyFileSync(p.tarball, join(appDir, basename(p.tarball)));
  const local = packed.map((p) => ({ ...p, tarball: basename(p.tarball) }));
  const lock = deriveLock(source, local, appDir);
  const dependencies = lock.packages['']!.dependencies;
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'confer-packaging-check', private: true, type: 'module', dependencies }, null, 2)}\n`);
  writeFileSync(join(appDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  const output = npm(['install', ...extraNpmArgs, '--no-audit', '--no-fund', ...local.map((p) => `./${p.tarball}`)], appDir);
  const installedLock = readJson<Lockfile>(join(appDir, 'node_modules/.package-lock.json'));
  const packages = new Map<string, string>();
  for (const [loc, entry] of Object.entries(installedLock.packages)) {
    if (loc !== '') packages.set(loc, entry.version ?? '?');
  }
  const size = directorySize(join(appDir, 'node_modules'));
  return { output, packages, lock: installedLock, diskBytes: size.disk, apparentBytes: size.apparent };
}

/** The package name at a node_modules location. */
const nameAt = (loc: string) => loc.slice(loc.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Locations reachable on disk from node_modules/<start>, by Node's resolution over the installed package.json files. */
function installedClosure(appDir: string, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [`node_modules/${start}`];
  for (let loc = queue.shift(); loc !== undefined; loc = queue.shift()) {
    if (seen.has(loc)) continue;
    seen.add(loc);
    const manifest = readJson<LockEntry>(join(appDir, loc, 'package.json'));
    for (const edge of edges(manifest)) {
      let dir = loc;
      let found: string | undefined;
      for (;;) {
        const candidate = `${dir}/node_modules/${edge.name}`;
        if (existsSync(join(appDir, candidate, 'package.json'))) { found = candidate; break; }
        const cut = dir.lastIndexOf('/node_modules/');
        if (cut < 0) break;
        dir = dir.slice(0, cut);
      }
      found ??= existsSync(join(appDir, 'node_modules', edge.name, 'package.json')) ? `node_modules/${edge.name}` : undefined;
      if (found) queue.push(found);
      else if (!edge.optional) throw new CheckFailed(`${edge.name}, a dependency of ${nameAt(loc)}, is not installed`);
    }
  }
  return seen;
}

/** The first ```ts block after the line matching `heading` (from the top without one); it must import from 'confer'. */
export function librarySnippet(markdown: string, where: string, heading?: RegExp): string {
  const lines = markdown.split('\n');
  const start = heading ? lines.findIndex((line) => heading.test(line)) : 0;
  if (start < 0) throw new CheckFailed(`${where} has no heading matching ${heading}`);
  const open = lines.findIndex((line, i) => i > start && /^```ts\s*$/.test(line));
  const close = lines.findIndex((line, i) => open >= 0 && i > open && /^```\s*$/.test(line));
  if (open < 0 || close < 0) throw new CheckFailed(`${where} has no closed \`\`\`ts block${heading ? ` after ${heading}` : ''}`);
  const snippet = lines.slice(open + 1, close).join('\n');
  if (!/^import .* from 'confer';?$/m.test(snippet)) throw new CheckFailed(`${where}: the first \`\`\`ts block (line ${open + 1}) does not import from 'confer'`);
  return `${snippet}\n`;
}

/** Type-checks the app's tsconfig with the compiler of `pkg` in the root node_modules; returns its version and output. */
function typecheck(pkg: string, appDir: string): { version: string; ok: boolean; output: string } {
  const dir = join(ROOT, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) throw new CheckFailed(`${pkg} is not installed at the root: run npm ci`);
  const { version, bin } = readJson<{ version: string; bin: Record<string, string> }>(join(dir, 'package.json'));
  // The bin path from the package itself, not node_modules/.bin/tsc, which both compilers claim.
  const tsc = join(dir, bin.tsc ?? 'bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(appDir, 'tsconfig.json')], { cwd: appDir, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { version, ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Static and dynamic import specifiers left in bundled code. */
function importSpecifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'`])([^"'`]+)\1/g)) found.push(m[2]!);
  return found;
}

const isNodeBuiltin = (id: string) => id.startsWith('node:') || NODE_BUILTINS.has(id);

interface Row {
  check: string;
  result: 'ok' | 'FAIL';
  detail: string;
  ms: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  const failures: string[] = [];
  let stepStart = performance.now();
  const record = (check: string, ok: boolean, detail: string, failure?: string): void => {
    const now = performance.now();
    rows.push({ check, result: ok ? 'ok' : 'FAIL', detail, ms: Math.round(now - stepStart) });
    stepStart = now;
    if (!ok) failures.push(`${check}: ${failure ?? detail}`);
  };

  const tmp = mkdtempSync(join(os.tmpdir(), 'confer-packaging-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => { cleanup(); process.exit(signal === 'SIGINT' ? 130 : 143); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // 1. Pack, exactly as `npm publish` would (prepack builds confer's dist/).
    const packDir = join(tmp, 'pack');
    mkdirSync(packDir);
    npm(['pack', '-w', 'confer', '-w', '@confer/contract', '--pack-destination', packDir], ROOT);
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    const tarballOf = (prefix: string) => {
      const file = tarballs.find((f) => new RegExp(`^${prefix}-\\d`).test(f));
      if (!file) throw new CheckFailed(`npm pack produced no ${prefix}-*.tgz (got ${tarballs.join(', ')})`);
      return join(packDir, file);
    };
    const packed: Packed[] = [
      { name: 'confer', location: 'packages/confer', tarball: tarballOf('confer') },
      { name: '@confer/contract', location: 'packages/contract', tarball: tarballOf('confer-contract') },
    ];
    const tarballBytes = packed.map((p) => lstatSync(p.tarball).size);
    record('npm pack', true, packed.map((p, i) => `${basename(p.tarball)} ${kb(tarballBytes[i]!)}`).join(', '));

    // 2. Install into a fresh app, offline.
    const appDir = join(tmp, 'app');
    const installed = installIntoApp(appDir, readJson<Lockfile>(join(ROOT, 'package-lock.json')), packed);
    const badEngine = installed.output.split('\n').filter((line) => line.includes('EBADENGINE'));
    record('no EBADENGINE', badEngine.length === 0, badEngine.length === 0 ? 'npm printed none' : badEngine.join(' | '));

    const conferManifest = readJson<LockEntry>(join(appDir, 'node_modules/confer/package.json'));
    const direct = edges(conferManifest).map((e) => e.name).sort();
    const sameDirect = JSON.stringify(direct) === JSON.stringify([...RUNTIME_DEPENDENCIES].sort());
    record('runtime dependencies', sameDirect, direct.join(', '), `confer depends on [${direct.join(', ')}], expected [${RUNTIME_DEPENDENCIES.join(', ')}]`);

    const reachable = installedClosure(appDir, 'confer');
    const extraneous = [...installed.packages.keys()].filter((loc) => !reachable.has(loc));
    const missing = [...reachable].filter((loc) => !installed.packages.has(loc));
    const treeOk = extraneous.length === 0 && missing.length === 0;
    record('tree = confer + its dependencies', treeOk, `${installed.packages.size} packages`,
      `extraneous: [${extraneous.join(', ')}], missing: [${missing.join(', ')}]`);

    const names = new Set([...installed.packages.keys()].map(nameAt));
    const forbidden = FORBIDDEN.filter((name) => names.has(name));
    record('no server packages', forbidden.length === 0, forbidden.length === 0 ? `none of ${FORBIDDEN.length} forbidden` : forbidden.join(', '));

    const withScripts = Object.entries(installed.lock.packages).filter(([, e]) => e.hasInstallScript).map(([loc]) => nameAt(loc));
    record('no install scripts', withScripts.length === 0, withScripts.length === 0 ? 'none' : withScripts.join(', '));

    const versions = Object.fromEntries([...installed.packages].map(([loc, version]) => [loc.replace(/^node_modules\//, ''), version]).sort());
    console.log(`\ninstalled: ${installed.packages.size} packages, node_modules ${kb(installed.diskBytes)} on disk (${kb(installed.apparentBytes)} apparent)`);
    for (const [name, version] of Object.entries(versions)) console.log(`  ${name}@${version}`);

    // 3. The READMEs' library snippets type-check against the installed package, its declarations checked too.
    const snippets = {
      // The repository's front page, under "## The library…".
      'src/root-readme.ts': librarySnippet(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'README.md', /^## The library\b/),
      // The package's own README, as shipped in the tarball and shown on npm.
      'src/package-readme.ts': librarySnippet(readFileSync(join(appDir, 'node_modules/confer/README.md'), 'utf8'), 'confer/README.md'),
    };
    mkdirSync(join(appDir, 'src'));
    for (const [file, code] of Object.entries(snippets)) writeFileSync(join(appDir, file), code);
    const compilerOptions = {
      target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [],
      strict: true, skipLibCheck: false, noEmit: true,
    };
    writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify({ compilerOptions, files: Object.keys(snippets) }, null, 2)}\n`);
    const typechecked: Record<string, string> = {};
    for (const { pkg, expect } of COMPILERS) {
      const { version, ok, output } = typecheck(pkg, appDir);
      const versionOk = expect.test(version);
      typechecked[version] = ok ? 'ok' : 'errors';
      record(`tsc ${version} (${pkg})`, ok && versionOk, ok ? 'README snippets: no errors' : 'errors',
        versionOk ? output : `expected a version matching ${expect}, found ${version}`);
    }

    // 4. Vite bundles the snippets for the browser without a Node built-in.
    const builtinRequests: string[] = [];
    const result = await build({
      root: appDir,
      configFile: false,
      logLevel: 'silent',
      // Vite swaps a Node built-in for an empty browser stub, so the request is noted where it is made, with its importer.
      plugins: [{
        name: 'note-node-builtins',
        enforce: 'pre',
        resolveId(source: string, importer: string | undefined) {
          if (isNodeBuiltin(source)) builtinRequests.push(`${source} (from ${importer?.replace(`${appDir}/`, '') ?? '?'})`);
          return null;
        },
      }],
      build: { write: false, target: 'es2022', minify: false, modulePreload: false, rolldownOptions: { input: Object.keys(snippets).map((file) => join(appDir, file)) } },
    });
    const chunks = (Array.isArray(result) ? result : [result])
      .flatMap((r) => ('output' in r ? r.output : []))
      .flatMap((o) => (o.type === 'chunk' ? [o] : []));
    const bundleBytes = chunks.reduce((sum, c) => sum + Buffer.byteLength(c.code), 0);
    const externalized = chunks.flatMap((c) => c.moduleIds.filter((id) => id.includes('__vite-browser-external')));
    const builtinImports = chunks.flatMap((c) => [...c.imports, ...c.dynamicImports, ...importSpecifiers(c.code)].filter(isNodeBuiltin));
    const fromInstalled = chunks.some((c) => c.moduleIds.some((id) => id.startsWith(join(appDir, 'node_modules/confer/'))));
    const bundleOk = builtinRequests.length === 0 && externalized.length === 0 && builtinImports.length === 0 && fromInstalled;
    record('vite bundle: no Node built-ins', bundleOk, `${chunks.length} chunks, ${kb(bundleBytes)} unminified`,
      fromInstalled ? `imports ${[...new Set([...builtinRequests, ...builtinImports, ...externalized])].join(', ')}` : 'confer was not bundled from the installed package');

    const numbers: BenchRow[] = [
      { metric: 'installed packages (confer + dependencies)', unit: 'packages', value: installed.packages.size },
      { metric: 'node_modules size on disk', unit: 'bytes', value: installed.diskBytes, note: kb(installed.diskBytes) },
      { metric: 'node_modules apparent size', unit: 'bytes', value: installed.apparentBytes, note: kb(installed.apparentBytes) },
      ...packed.map((p, i): BenchRow => ({ metric: `${basename(p.tarball)} (packed)`, unit: 'bytes', value: tarballBytes[i]!, note: kb(tarballBytes[i]!) })),
    ];
    const extra = { packages: versions, typecheck: typechecked, passed: failures.length === 0 };
    const resultsPath = join(ROOT, 'bench/results/packaging.json');
    const previous = existsSync(resultsPath) ? readJson<{ rows?: unknown; packages?: unknown; typecheck?: unknown; passed?: unknown }>(resultsPath) : undefined;
    // Rewrite the results only when a number changed, so that `npm test` leaves the working tree clean.
    const same = previous !== undefined && JSON.stringify([previous.rows, previous.packages, previous.typecheck, previous.passed]) === JSON.stringify([numbers, extra.packages, extra.typecheck, extra.passed]);
    if (same) console.log('\nbench/results/packaging.json: unchanged');
    else report('packaging', numbers, extra);
  } catch (error) {
    // A step that cannot go on (npm failing, Vite not resolving an import) fails the check like an assertion.
    const message = error instanceof Error ? error.message : String(error);
    record('(aborted)', false, message.split('\n')[0] ?? '', message);
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  console.log('');
  console.table(rows);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`\ncheck:packaging FAILED (${seconds} s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log(`\ncheck:packaging: a browser app installing confer gets the library and nothing else (${seconds} s)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
