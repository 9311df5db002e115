// Whether the server the page came from has a CIFAR-10 archive to load ("Load server copy"): `npm run dev` and
// `npm run preview` serve one at SERVER_DATA_URL when `npm run fetch-data` ran or CIFAR10_TARBALL is set
// (vite.config.ts); a static host or a dev server without one answers 404 or with the app's page.
import { SERVER_DATA_URL } from '../../train/protocol';

/** true: the server has the archive; false: it has none (or cannot be reached). */
export async function serverHasCopy(base?: string): Promise<boolean> {
  try {
    const res = await fetch(base ? new URL(SERVER_DATA_URL, base) : SERVER_DATA_URL, { method: 'HEAD' });
    return res.ok && !(res.headers.get('Content-Type') ?? '').includes('text/html');
  } catch {
    return false;
  }
}
