#!/usr/bin/env node
// `npm run fetch-data`: downloads the official CIFAR-10 binary archive (170 MB) into data/, with a
// progress bar, resuming a partial download (data/<name>.part, HTTP Range) and retrying with backoff,
// then checks its MD5. Skips when the file is already there and correct. No dependencies.
//
//   node scripts/fetch-data.mjs                 fetch if needed; exit 1 on failure
//   node scripts/fetch-data.mjs --if-missing    same, but a failure (e.g. offline) is a note and exit 0
//                                               (run before `npm run dev`: the app then offers a file picker)
//   --url URL --md5 HEX --out PATH              another mirror / file (used by the tests)
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const ATTEMPTS = 5;
const RETRY_DELAY_MS = Number(process.env.FETCH_DATA_RETRY_MS ?? 1000); // doubled after each failure
const RESPONSE_TIMEOUT_MS = 30_000; // no headers, or no data, for this long: give up on this attempt
// Connection errors that mean "not reachable from here"; retrying in seconds will not help.
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = { ifMissing: false, url: OFFICIAL_URL, md5: OFFICIAL_MD5, out: join(root, 'data', 'cifar-10-binary.tar.gz') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--if-missing') opts.ifMissing = true;
    else if (a === '--url') opts.url = value();
    else if (a === '--md5') opts.md5 = value().toLowerCase();
    else if (a === '--out') opts.out = value();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
  }
  return opts;
}

function usage(problem) {
  const text = 'usage: node scripts/fetch-data.mjs [--if-missing] [--url URL] [--md5 HEX] [--out PATH]';
  if (problem) {
    console.error(`fetch-data: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const log = (msg) => console.error(`fetch-data: ${msg}`);
const mb = (n) => (n / 1e6).toFixed(1);
const show = (p) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || p);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function md5File(path) {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

const sizeOf = async (path) => (await stat(path).catch(() => undefined))?.size ?? 0;

/** An error's reason in words: "getaddrinfo ENOTFOUND www.cs.toronto.edu", "HTTP 404 Not Found", ... */
function reasonOf(e) {
  const cause = e?.cause;
  if (cause?.code || cause?.message) return cause.message || cause.code;
  return e?.message ?? String(e);
}
const codeOf = (e) => e?.cause?.code ?? e?.code;

class FetchFailure extends Error {
  constructor(message, { offline = false, fatal = false } = {}) {
    super(message);
    this.offline = offline;
    this.fatal = fatal;
  }
}

/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
function progressBar(name, startBytes, total) {
  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  let lastDraw = 0;
  let lastDecile = -1;
  return {
    update(bytes, final = false) {
      const now = Date.now();
      const frac = total ? bytes / total : 0;
      if (tty) {
        if (!final && now - lastDraw < 100) return;
        lastDraw = now;
        const rate = (bytes - startBytes) / Math.max((now - t0) / 1000, 1e-3);
        const width = 30;
        const bar = total ? '#'.repeat(Math.round(frac * width)).padEnd(width, '.') : '';
        const eta = total && rate > 0 ? ` ETA ${Math.ceil((total - bytes) / rate)}s` : '';
        const pct = total ? ` ${(frac * 100).toFixed(0).padStart(3)}%` : '';
        process.stderr.write(`\r${name} [${bar}]${pct} ${mb(bytes)}${total ? `/${mb(total)}` : ''} MB ${mb(rate)} MB/s${eta}   `);
        if (final) process.stderr.write('\n');
      } else {
        const decile = Math.floor(frac * 10);
        if (decile !== lastDecile || final) {
          lastDecile = decile;
          log(`${name}: ${mb(bytes)}${total ? ` of ${mb(total)} MB (${Math.floor(frac * 100)}%)` : ' MB'}`);
        }
      }
    },
  };
}

/** One HTTP request, appending to `part` from its current size. */
async function fetchOnce(url, part, state) {
  const have = await sizeOf(part);
  const ctrl = new AbortController();
  let timer;
  const arm = (what) => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new Error(`${what} for ${RESPONSE_TIMEOUT_MS / 1000} s`)), RESPONSE_TIMEOUT_MS);
  };
  arm('no response');
  let out;
  try {
    const res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: ctrl.signal });
    if (res.status === 416 && have > 0) return; // nothing left to fetch: the .part is complete (the MD5 decides)
    if (res.status !== 200 && res.status !== 206) {
      const fatal = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw new FetchFailure(`HTTP ${res.status} ${res.statusText} from ${url}`, { fatal });
    }
    let start = 0;
    let total = Number(res.headers.get('content-length')) || undefined;
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have)
        throw new FetchFailure(`the server answered the resume request with an unexpected range (${res.headers.get('content-range')})`);
      start = have;
      total = m[2] === '*' ? undefined : Number(m[2]);
      log(`resuming at ${mb(start)} MB`);
    } else if (have > 0) {
      log('the server does not resume downloads; starting over');
    }
    state.total = total;
    out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
    const bar = progressBar(show(state.out), start, total);
    let bytes = start;
    arm('no data');
    for await (const chunk of res.body) {
      arm('no data');
      state.receivedAny = true;
      if (!out.write(chunk)) await once(out, 'drain');
      bytes += chunk.length;
      bar.update(bytes);
    }
    bar.update(bytes, true);
    if (total !== undefined && bytes < total) throw new FetchFailure(`the connection closed at ${mb(bytes)} of ${mb(total)} MB`);
  } finally {
    clearTimeout(timer);
    if (out) {
      out.end();
      await once(out, 'close').catch(() => undefined);
    }
  }
}

async function download(opts) {
  const part = `${opts.out}.part`;
  const state = { receivedAny: false, total: undefined, out: opts.out };
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchOnce(opts.url, part, state);
      return part;
    } catch (e) {
      if (e instanceof FetchFailure && e.fatal) throw e;
      const reason = reasonOf(e);
      if (!state.receivedAny && (UNREACHABLE.has(codeOf(e)) || attempt === ATTEMPTS)) {
        throw new FetchFailure(`could not reach ${new URL(opts.url).host}: ${reason}.`, { offline: true });
      }
      if (attempt === ATTEMPTS) throw new FetchFailure(`gave up after ${ATTEMPTS} attempts: ${reason}. Run the command again to resume.`);
      const delay = RETRY_DELAY_MS * 2 ** (attempt - 1);
      if (state.receivedAny && process.stderr.isTTY) process.stderr.write('\n'); // end the progress line
      log(`download interrupted (${reason}); retry ${attempt + 1} of ${ATTEMPTS} in ${delay / 1000} s`);
      await sleep(delay);
    }
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const name = show(opts.out);
  const fail = (message) => {
    if (opts.ifMissing) {
      log(`note: ${message}\nfetch-data: the app starts anyway and lets you pick the file.`);
      process.exit(0);
    }
    log(message);
    process.exit(1);
  };

  const env = process.env.CIFAR10_TARBALL;
  if (opts.ifMissing && env && existsSync(env)) {
    log(`using CIFAR10_TARBALL=${env}; nothing to fetch.`);
    return;
  }
  if (existsSync(opts.out)) {
    const sum = await md5File(opts.out);
    if (sum === opts.md5) {
      log(`${name} is already there (MD5 ok).`);
      return;
    }
    log(`${name} has MD5 ${sum}, not ${opts.md5}: it is damaged or another file. Deleting it and downloading again.`);
    await unlink(opts.out);
  }
  await mkdir(dirname(opts.out), { recursive: true });
  process.once('SIGINT', () => {
    process.stderr.write('\n');
    log(`interrupted; ${name}.part is kept and the next run resumes it.`);
    process.exit(130);
  });

  let part;
  try {
    part = await download(opts);
  } catch (e) {
    const message = e instanceof FetchFailure ? e.message : reasonOf(e);
    const proxy = process.env.HTTPS_PROXY || process.env.https_proxy ? " (Node's fetch does not use HTTPS_PROXY.)" : '';
    return fail(
      `${message}${proxy}\n` +
        `Download the file by hand from ${opts.url} and save it as ${name} ` +
        '(or set CIFAR10_TARBALL to its path), or pick the file in the app.',
    );
  }
  log('checking MD5 ...');
  const sum = await md5File(part);
  if (sum !== opts.md5) {
    await unlink(part);
    return fail(
      `the downloaded file has MD5 ${sum}, expected ${opts.md5}. It was damaged in transfer or the server sent ` +
        'something else (e.g. a proxy error page); it has been deleted. Run the command again.',
    );
  }
  await rename(part, opts.out);
  log(`saved ${name} (${mb(await sizeOf(opts.out))} MB, MD5 ok).`);
}

main().catch((e) => {
  log(`failed: ${e?.stack ?? e}`);
  process.exit(1);
});
