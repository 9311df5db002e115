// scripts/fetch-data.mjs against a local HTTP server: download, resume, retry, MD5 check, skip, offline.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/fetch-data.mjs', import.meta.url));
const payload = new Uint8Array(1_000_000).map((_, i) => (i * 2654435761) >>> 27);
const md5 = createHash('md5').update(payload).digest('hex');
/** (toEqual on megabytes is slow: compare with Buffer.equals.) */
const expectPayload = (path: string) => expect(readFileSync(path).equals(payload)).toBe(true);

interface Run {
  code: number;
  stderr: string;
}
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...process.env, FETCH_DATA_RETRY_MS: '50', ...env } }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

let server: Server;
let base = '';
/** What the server does next: 'ok', 'drop' (send half, then cut the connection), 'noRange' (ignore Range). */
let mode: 'ok' | 'drop' | 'noRange' = 'ok';
let requests: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && mode !== 'noRange' ? Number(m[1]) : 0;
    const body = payload.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': body.length };
    if (start > 0) headers['content-range'] = `bytes ${start}-${payload.length - 1}/${payload.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (mode === 'drop') {
      mode = 'ok';
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar.tar.gz`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('fetch-data.mjs', () => {
  let dir = '';
  let out = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fetch-data-'));
    out = join(dir, 'data', 'cifar.tar.gz');
    mode = 'ok';
    requests = [];
    return () => rmSync(dir, { recursive: true, force: true });
  });

  test('downloads, checks the MD5, and then skips', async () => {
    const r = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expectPayload(out);
    expect(existsSync(`${out}.part`)).toBe(false);
    const again = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already there/);
    expect(requests.length).toBe(1);
  });

  test('resumes a partial download with a Range request', async () => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.part`, payload.subarray(0, 400_000));
    const r = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(requests.at(-1)).toBe('bytes=400000-');
    expect(r.stderr).toMatch(/resuming at 0\.4 MB/);
    expectPayload(out);
  });

  test('a dropped connection is retried and resumed', async () => {
    mode = 'drop';
    const r = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/retry 2 of 5/);
    // The client saw up to half (a reset can lose bytes in flight) and asked for the rest.
    expect(requests.length).toBe(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1] ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(payload.length >> 1);
    expectPayload(out);
  });

  test('a server that ignores Range: starts over', async () => {
    mode = 'noRange';
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.part`, new Uint8Array(500).fill(9));
    const r = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/starting over/);
    expectPayload(out);
  });

  test('wrong MD5: deletes the download and explains; a wrong existing file is replaced', async () => {
    const r = await run(['--url', base, '--md5', '0'.repeat(32), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has MD5 [0-9a-f]{32}, expected 0{32}.*deleted/s);
    expect(existsSync(`${out}.part`) || existsSync(out)).toBe(false);

    writeFileSync(out, 'not the dataset');
    const fixed = await run(['--url', base, '--md5', md5, '--out', out]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/damaged or another file/);
    expectPayload(out);
  });

  test('unreachable host: a clear message, exit 1; with --if-missing a note and exit 0', async () => {
    // .invalid never resolves (RFC 2606): the offline case. A closed local port: connection refused.
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    for (const [url, host, why] of [
      ['http://cifar.invalid/cifar-10-binary.tar.gz', 'cifar.invalid', /ENOTFOUND|EAI_AGAIN/],
      [`http://127.0.0.1:${port}/cifar-10-binary.tar.gz`, `127.0.0.1:${port}`, /ECONNREFUSED/],
    ] as const) {
      const r = await run(['--url', url, '--out', out]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`could not reach ${host.replace(/\./g, '\\.')}: `));
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/Download the file by hand from .*or pick the file in the app/s);
      expect(r.stderr).not.toMatch(/retry/); // unreachable: no pointless waiting
      const soft = await run(['--if-missing', '--url', url, '--out', out]);
      expect(soft.code).toBe(0);
      expect(soft.stderr).toMatch(/note: could not reach/);
    }
  });
});
