// An in-memory IndexedDB with a byte budget, for the storage-full paths in Node: a transaction whose puts would
// take the origin past `capacity` aborts with a QuotaExceededError DOMException (as Chromium reports it: the put's
// request fails, then the transaction aborts and none of its writes stay). Only what the app uses: open (with
// upgradeneeded), transactions over one or more stores, put / get / getAll / getAllKeys / delete / clear, and the events.
type Store = Map<string, unknown>;
type Handler = ((ev?: unknown) => void) | null;

interface FakeRequest {
  result: unknown;
  error: DOMException | null;
  onsuccess: Handler;
  onerror: Handler;
  onupgradeneeded?: Handler;
}

const later = (f: () => void) => setTimeout(f, 0);

/** Bytes a value takes: typed arrays and buffers by length, other values by their JSON. */
function sizeOf(v: unknown): number {
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v && typeof v === 'object') return Object.values(v).reduce<number>((n, x) => n + sizeOf(x), 16);
  return JSON.stringify(v ?? null).length;
}

export class FakeIdb {
  readonly dbs = new Map<string, Map<string, Store>>();

  /** When set, every transaction that writes fails with this error instead (a disk error, say), like a full one. */
  failWith: DOMException | undefined;

  constructor(public capacity = Infinity) {}

  used(): number {
    let n = 0;
    for (const db of this.dbs.values()) for (const s of db.values()) for (const v of s.values()) n += sizeOf(v);
    return n;
  }

  open(name: string): FakeRequest {
    const req: FakeRequest = { result: undefined, error: null, onsuccess: null, onerror: null, onupgradeneeded: null };
    later(() => {
      const fresh = !this.dbs.has(name);
      if (fresh) this.dbs.set(name, new Map());
      req.result = this.connection(this.dbs.get(name)!);
      if (fresh) req.onupgradeneeded?.();
      req.onsuccess?.();
    });
    return req;
  }

  private connection(stores: Map<string, Store>) {
    return {
      objectStoreNames: { contains: (n: string) => stores.has(n) },
      createObjectStore: (n: string) => stores.set(n, new Map()),
      close: () => undefined,
      transaction: (names: string | string[]) => this.transaction(stores, [names].flat()),
    };
  }

  private transaction(stores: Map<string, Store>, names: string[]) {
    for (const n of names) if (!stores.has(n)) throw new DOMException(`no object store '${n}'`, 'NotFoundError');
    const ops: { req: FakeRequest; store: Store; run: (s: Store) => unknown }[] = [];
    const objectStore = (n: string) => {
      if (!names.includes(n)) throw new DOMException(`'${n}' is not in this transaction`, 'NotFoundError');
      const store = stores.get(n)!;
      const op = (run: (s: Store) => unknown) => {
        const req: FakeRequest = { result: undefined, error: null, onsuccess: null, onerror: null };
        ops.push({ req, store, run });
        return req;
      };
      return {
        put: (v: unknown, k: string) => op((s) => (s.set(k, v), k)),
        get: (k: string) => op((s) => s.get(k)),
        getAll: () => op((s) => [...s.values()]),
        getAllKeys: () => op((s) => [...s.keys()]),
        delete: (k: string) => op((s) => void s.delete(k)),
        clear: () => op((s) => s.clear()),
      };
    };
    const tx = {
      error: null as DOMException | null,
      oncomplete: null as Handler,
      onerror: null as Handler,
      onabort: null as Handler,
      objectStore,
    };
    later(() => {
      const before = names.map((n) => [stores.get(n)!, new Map(stores.get(n))] as const);
      for (const { req, store, run } of ops) {
        req.result = run(store);
        if (this.failWith || this.used() > this.capacity) {
          // Chromium: the request fails, then the whole transaction aborts with the same error.
          for (const [s, old] of before) {
            s.clear();
            for (const [k, v] of old) s.set(k, v);
          }
          const err = this.failWith ?? new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          req.error = tx.error = err;
          req.onerror?.();
          tx.onerror?.();
          tx.onabort?.();
          return;
        }
        req.onsuccess?.();
      }
      tx.oncomplete?.();
    });
    return tx;
  }
}

/** Installs a fresh fake as the global indexedDB and returns it. */
export function installFakeIdb(capacity = Infinity): FakeIdb {
  const fake = new FakeIdb(capacity);
  (globalThis as { indexedDB?: unknown }).indexedDB = fake;
  return fake;
}
