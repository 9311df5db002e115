// What the user reads when "Load server copy" or "Load URL" finds no archive: one sentence of what happened, and
// advice that applies (issue 22: the old text began in lowercase, said "pick the file" twice and advised checking a
// connection that was fine).
import { afterEach, describe, expect, test, vi } from 'vitest';
import { loadFromSource } from '../../src/train/dataSource';
import { toErrorEvent } from '../../src/train/errors';

const answer = (res: Response | Error) =>
  vi.spyOn(globalThis, 'fetch').mockImplementation(() => (res instanceof Error ? Promise.reject(res) : Promise.resolve(res)));
async function errorOf(source: Parameters<typeof loadFromSource>[0]) {
  try {
    await loadFromSource(source, () => {}, 'http://127.0.0.1:5173');
  } catch (e) {
    return toErrorEvent(e);
  }
  throw new Error('it loaded');
}

afterEach(() => vi.restoreAllMocks());

describe('the local server without an archive', () => {
  test('404: says the server has none, and how to get one', async () => {
    answer(new Response('nope', { status: 404, statusText: 'Not Found' }));
    const e = await errorOf({ kind: 'server' });
    expect(e.message).toBe('The local server has no CIFAR-10 archive (404 Not Found for /data/cifar10.tar.gz).');
    expect(e.advice).toBe(
      'Pick the file (cifar-10-binary.tar.gz), or run `npm run fetch-data` (or set CIFAR10_TARBALL) and restart the server.',
    );
  });
  test("a dev server's page instead of the archive: the same advice", async () => {
    answer(new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }));
    const e = await errorOf({ kind: 'server' });
    expect(e.message).toMatch(/^The local server has no CIFAR-10 archive \(it answered .* with a web page\)\.$/);
    expect(e.advice).toMatch(/^Pick the file/);
  });
  test('unreachable: is the server running', async () => {
    answer(new TypeError('Failed to fetch'));
    const e = await errorOf({ kind: 'server' });
    expect(e.message).toBe('Could not reach the local server for CIFAR-10 (Failed to fetch).');
    expect(e.advice).toBe('Check that the server is running, or pick the file.');
  });
});

test('a URL that answers 404: the address, once', async () => {
  answer(new Response('', { status: 404, statusText: 'Not Found' }));
  const e = await errorOf({ kind: 'url', url: 'https://example.org/c.tar.gz' });
  expect(e.message).toBe('The address https://example.org/c.tar.gz answered 404 Not Found.');
  expect(e.advice).toBe('Check the address, or download the file and pick it.');
  for (const text of [e.message, e.advice ?? '']) expect(text[0]).toBe(text[0].toUpperCase());
});
