// Part of the shared REST machinery (see ../crud.ts): the read cache of serialized list pages.

/**
 * Serialized list pages keyed by data generation and URL: any write anywhere changes the generation
 * (see generation.ts), so entries never go stale, they just stop being found. Bounded by bytes.
 */
export class ResponseCache {
  #map = new Map<string, string>();
  #inflight = new Map<string, Promise<string>>();
  #bytes = 0;
  readonly maxBytes: number;
  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }
  /** The cached body for a key, refreshed as most recently used. */
  get(key: string): string | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  /** The cached body, or the one being computed for the same key (concurrent misses share one query). */
  async getOrCompute(key: string, compute: () => Promise<string>): Promise<{ body: string; hit: boolean }> {
    const cached = this.get(key);
    if (cached !== undefined) return { body: cached, hit: true };
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = compute().then((body) => {
        this.set(key, body);
        return body;
      });
      this.#inflight.set(key, pending);
      pending.finally(() => this.#inflight.delete(key)).catch(() => {});
      return { body: await pending, hit: false };
    }
    return { body: await pending, hit: true };
  }
  /** Stores a body, evicting the least recently used entries beyond the byte budget. */
  set(key: string, body: string): void {
    if (body.length > this.maxBytes / 8) return;
    const old = this.#map.get(key);
    if (old !== undefined) this.#bytes -= old.length;
    this.#map.set(key, body);
    this.#bytes += body.length;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.length;
    }
  }
}
