import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { baseImageFiles, CHROOT_SCRIPT, KERNEL_CMDLINE, PACKAGES, SUITE } from './guest.js';
import { LabError, isAlive, run, sleep } from './proc.js';

/** A built base image: a raw ext4 root filesystem plus the kernel and initrd taken from it. */
export interface BaseImage {
  dir: string;
  hash: string;
  rootfs: string;
  kernel: string;
  initrd: string;
  cmdline: string;
}

/** Bump when the build procedure changes in a way the recipe below does not show. */
const RECIPE_VERSION = 1;
const IMAGE_SIZE = '3G';

/** Everything that decides the image's contents; its hash names the cache entry (the kernel command line is not part of it). */
export function recipe(): Record<string, unknown> {
  return { version: RECIPE_VERSION, suite: SUITE, packages: PACKAGES, files: baseImageFiles(), script: CHROOT_SCRIPT, size: IMAGE_SIZE };
}

export function recipeHash(): string {
  return createHash('sha256').update(JSON.stringify(recipe())).digest('hex').slice(0, 16);
}

function imageAt(dir: string, hash: string): BaseImage {
  return { dir, hash, rootfs: join(dir, 'rootfs.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), cmdline: KERNEL_CMDLINE };
}

/** The cached image for the current recipe, if it was built completely. */
export function cachedImage(cacheDir: string): BaseImage | undefined {
  const hash = recipeHash();
  const dir = join(cacheDir, 'images', hash);
  return existsSync(join(dir, 'done')) ? imageAt(dir, hash) : undefined;
}

/**
 * A directory lock (mkdir is atomic) so two labs starting at once build the image once. A lock left by a
 * dead process is taken over; waiting is bounded.
 */
async function withLock<T>(lockDir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch {
      const owner = Number(existsSync(join(lockDir, 'pid')) ? readFileSync(join(lockDir, 'pid'), 'utf8') : 0);
      if (owner && !isAlive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`timed out waiting for another image build (lock ${lockDir}, pid ${owner})`);
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export interface BuildOptions {
  cacheDir: string;
  /** The host-side apt proxy (http://127.0.0.1:PORT), so packages are cached for the next build. */
  proxyUrl: string;
  log: (line: string) => void;
}

/** Return the cached base image, building it first when the recipe changed or it was never built. */
export async function ensureImage(opts: BuildOptions): Promise<{ image: BaseImage; built: boolean }> {
  const hit = cachedImage(opts.cacheDir);
  if (hit) return { image: hit, built: false };
  const lock = join(opts.cacheDir, 'images', '.build.lock');
  return withLock(lock, 30 * 60_000, async () => {
    const again = cachedImage(opts.cacheDir);
    if (again) return { image: again, built: false };
    return { image: await buildImage(opts), built: true };
  });
}

async function buildImage(opts: BuildOptions): Promise<BaseImage> {
  const hash = recipeHash();
  const final = join(opts.cacheDir, 'images', hash);
  const work = join(opts.cacheDir, 'images', `${hash}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const root = join(work, 'root');
  const logFile = join(work, 'build.log');
  const step = { logFile, timeoutMs: 30 * 60_000 };
  opts.log(`building the base image ${hash} (debootstrap ${SUITE}; log: ${logFile})`);

  await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, root, `${opts.proxyUrl}/debian`], step);
  for (const file of baseImageFiles()) {
    const path = join(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    writeFileSync(path, file.content);
    chmodSync(path, file.mode);
  }
  // Fetch the package lists the VMs will use (deb.debian.org through the proxy), then freeze the image.
  await run('chroot', [root, 'apt-get', '-o', `Acquire::http::Proxy=${opts.proxyUrl}`, 'update'], step);
  await run('chroot', [root, 'sh', '-c', CHROOT_SCRIPT], step);

  const boot = readdirSync(join(root, 'boot'));
  const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!kernel || !initrd) throw new LabError(`no kernel or initrd in the image's /boot (found: ${boot.join(', ')})`);
  const image = imageAt(work, hash);
  copyFileSync(join(root, 'boot', kernel), image.kernel);
  copyFileSync(join(root, 'boot', initrd), image.initrd);
  // Built from the directory, never mounted: no loop devices, works wherever mkfs runs.
  await run('mkfs.ext4', ['-q', '-F', '-L', 'lvsroot', '-d', root, image.rootfs, IMAGE_SIZE], step);
  rmSync(root, { recursive: true, force: true });
  writeFileSync(join(work, 'recipe.json'), JSON.stringify(recipe(), null, 2));
  writeFileSync(join(work, 'done'), `${new Date().toISOString()}\n${kernel}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(work, final);
  pruneOldImages(join(opts.cacheDir, 'images'), hash);
  opts.log(`base image ready: ${final} (${(statSync(join(final, 'rootfs.img')).blocks * 512 / 2 ** 20).toFixed(0)} MiB used)`);
  return imageAt(final, hash);
}

/**
 * Images of older recipes are dead weight (GBs). Removing one is safe even under a running VM (its open
 * file stays readable) and the next `lab up` sees the hash changed and makes new overlays.
 */
function pruneOldImages(imagesDir: string, keep: string): void {
  for (const name of readdirSync(imagesDir)) {
    if (name === keep || name.startsWith('.')) continue;
    const builder = /\.tmp-(\d+)$/.exec(name);
    if (builder && isAlive(Number(builder[1]))) continue;
    rmSync(join(imagesDir, name), { recursive: true, force: true });
  }
}
