/**
 * A base image made on this machine, because nothing can be pulled: a root filesystem holding Debian's
 * static busybox (package busybox-static) and its applet links, loaded with `docker import`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DockerDaemon } from './daemon.js';
import { isExecutable, run } from './process.js';

export const BUSYBOX = '/usr/bin/busybox';
export const BASE_IMAGE = 'local/busybox:latest';

/**
 * Makes `image` (default local/busybox:latest, about 2 MB) unless the daemon already has it. Idempotent;
 * two concurrent callers may both import, which is harmless (the last tag wins). Takes about 0.2 s.
 */
export async function ensureBaseImage(daemon: DockerDaemon, image = BASE_IMAGE): Promise<string> {
  const present = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', image]).then(
    () => true,
    () => false,
  );
  if (present) return image;
  if (!isExecutable(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing (apt-get install busybox-static)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gitops-rootfs-'));
  try {
    const root = join(dir, 'root');
    for (const sub of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'tmp', 'etc', 'root']) {
      mkdirSync(join(root, sub), { recursive: true });
    }
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    // Links point at the in-image path, so no chroot is needed to make them.
    const applets = (await run(BUSYBOX, ['--list-full'])).stdout.split('\n').filter(Boolean);
    for (const applet of applets) {
      const target = join(root, applet);
      if (applet === 'bin/busybox') continue;
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync('/bin/busybox', target);
    }
    const tarball = join(dir, 'rootfs.tar');
    await run('tar', [
      '-C',
      root,
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '-cf',
      tarball,
      '.',
    ]);
    await daemon.docker([
      'import',
      '--change',
      'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["sh"]',
      tarball,
      image,
    ]);
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
