// IRR settings from the environment: server(s), default sources and per-peer-ASN source overrides.
import { IrrError, IrrPool, parseHostPort, type IrrPoolOptions } from './whois.client.ts';

/** bgpq4's own default mirror (NTT's IRRd 4, which answers !a). */
export const DEFAULT_IRR_HOST = 'rr.ntt.net:43';

export interface IrrConfig {
  servers: Array<{ host: string; port: number }>;
  /** Global source selection; undefined leaves the server's default. */
  sources?: string[];
  /** Source selection per peer ASN, overriding the global one. */
  sourcesByAsn: Map<number, string[]>;
  timeoutMs: number;
  poolSize: number;
}

function parseList(text: string | undefined): string[] | undefined {
  const list = (text ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return list.length ? list : undefined;
}

function positiveInt(env: Record<string, string | undefined>, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new IrrError('IRR_QUERY', `${key} must be a positive integer, got "${raw}"`);
  return n;
}

/**
 * Reads PEERDESK_IRR_HOST ("host[:port]", comma-separated for fallbacks), PEERDESK_IRR_SOURCES
 * ("RIPE,ARIN"), PEERDESK_IRR_SOURCES_BY_ASN ("65000=RADB,RIPE;65001=ARIN"),
 * PEERDESK_IRR_TIMEOUT_MS and PEERDESK_IRR_POOL_SIZE.
 */
export function loadIrrConfig(env: Record<string, string | undefined> = process.env): IrrConfig {
  const hosts = (env.PEERDESK_IRR_HOST || DEFAULT_IRR_HOST)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const servers = hosts.map((h) => {
    try {
      return parseHostPort(h);
    } catch {
      throw new IrrError('IRR_QUERY', `PEERDESK_IRR_HOST: invalid server "${h}" (expected host or host:port)`);
    }
  });
  const sourcesByAsn = new Map<number, string[]>();
  for (const part of (env.PEERDESK_IRR_SOURCES_BY_ASN ?? '').split(';')) {
    if (!part.trim()) continue;
    const m = /^\s*(?:AS)?(\d+)\s*=\s*(.+)$/i.exec(part);
    const list = m ? parseList(m[2]) : undefined;
    if (!m || !list)
      throw new IrrError(
        'IRR_QUERY',
        `PEERDESK_IRR_SOURCES_BY_ASN: cannot read "${part.trim()}" (expected ASN=SRC1,SRC2)`,
      );
    sourcesByAsn.set(Number(m[1]), list);
  }
  return {
    servers,
    sources: parseList(env.PEERDESK_IRR_SOURCES),
    sourcesByAsn,
    timeoutMs: positiveInt(env, 'PEERDESK_IRR_TIMEOUT_MS', 30_000),
    poolSize: positiveInt(env, 'PEERDESK_IRR_POOL_SIZE', 4),
  };
}

/** Sources for one peer: an explicit override, else the peer ASN's, else the global selection. */
export function sourcesFor(config: IrrConfig, peerAsn?: number, override?: string[]): string[] | undefined {
  if (override?.length) return override.map((s) => s.toUpperCase());
  if (peerAsn !== undefined) {
    const own = config.sourcesByAsn.get(peerAsn);
    if (own) return own;
  }
  return config.sources;
}

/** Opens (lazily) a pool on the first configured server. */
export function createIrrPool(config: IrrConfig, overrides: Partial<IrrPoolOptions> = {}): IrrPool {
  const [first, ...fallbacks] = config.servers;
  return new IrrPool({
    fallbacks,
    host: first.host,
    port: first.port,
    size: config.poolSize,
    timeoutMs: config.timeoutMs,
    sources: config.sources,
    ...overrides,
  });
}
