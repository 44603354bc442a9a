// Configuration from PEERDESK_* environment variables, validated once with readable errors.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { parseCidr } from './net-guard.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/** A comma list of IPv4/IPv6 CIDRs (e.g. `10.0.0.0/8,2001:db8::/32`), validated at start. */
const cidrList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .refine(
    (list) => list.every((c) => parseCidr(c) !== null),
    'must be a comma list of CIDRs like 10.0.0.0/8,2001:db8::/32',
  );

/** A comma list of absolute directories (no `..`), normalised without trailing slashes. */
const dirList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map((d) => (d.length > 1 ? d.replace(/\/+$/, '') : d)),
  )
  .refine(
    (list) => list.every((d) => isAbsolute(d) && !d.split('/').includes('..') && !d.includes('\0')),
    'must be a comma list of absolute directories',
  );

/** Where local router sockets (`unix:`/`vtysh:` hostnames) may live unless PEERDESK_SOCKET_DIRS says otherwise. */
export const DEFAULT_SOCKET_DIRS = ['/run/bird', '/var/run/bird', '/run/frr', '/var/run/frr'];

const schema = z.object({
  PEERDESK_DATABASE_URL: z
    .string()
    .default('sqlite:./data/peerdesk.db')
    .refine((v) => /^(sqlite:|postgres(ql)?:\/\/)/.test(v), 'must start with sqlite: or postgres://'),
  PEERDESK_DATA_DIR: z.string().default('./data'),
  PEERDESK_SECRET_KEY: z
    .string()
    .refine((v) => v.length >= 32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
  PEERDESK_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  PEERDESK_HOST: z.string().default('127.0.0.1'),
  PEERDESK_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  PEERDESK_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PEERDESK_METRICS_PUBLIC: bool.default(true),
  PEERDESK_WORKER: bool.default(true),
  PEERDESK_API_CACHE: bool.default(true),
  PEERDESK_PEERINGDB_URL: z.string().url().default('https://www.peeringdb.com/api'),
  PEERDESK_PEERINGDB_API_KEY: z.string().optional(),
  PEERDESK_IRR_HOST: z.string().default('rr.ntt.net:43'),
  PEERDESK_IRR_SOURCES: z.string().optional(),
  PEERDESK_SMTP_URL: z.string().optional(),
  PEERDESK_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  PEERDESK_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  PEERDESK_SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  // Behind a reverse proxy: client addresses and the scheme (https → Secure cookies) come from X-Forwarded-*.
  PEERDESK_TRUST_PROXY: bool.default(false),
  // Outbound fetches (IX-F import, future webhooks) refuse internal addresses except these ranges.
  PEERDESK_FETCH_ALLOW: cidrList.default([]),
  PEERDESK_SOCKET_DIRS: dirList.default(DEFAULT_SOCKET_DIRS),
  // Where the BIRD driver keeps `NAME.disabled` files so admin state survives a BIRD restart (unset: runtime only).
  PEERDESK_BIRD_STATE_DIR: z
    .string()
    .refine((v) => isAbsolute(v) && !v.includes('\0'), 'must be an absolute directory')
    .optional(),
  PEERDESK_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  PEERDESK_DEVICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  PEERDESK_ADMIN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  // Template renders run in worker threads (read by src/templates/render-pool.ts; validated here at start).
  PEERDESK_RENDER_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  PEERDESK_RENDER_QUEUE: z.coerce.number().int().min(1).max(10_000).default(32),
  PEERDESK_RENDER_HEAP_MB: z.coerce.number().int().min(32).max(16_384).default(256),
  PEERDESK_RENDER_TIME_LIMIT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
});

export type Config = z.infer<typeof schema>;

/** Raised when the environment does not validate; its message lists every bad variable. */
export class ConfigError extends Error {}

const POLLING_KEYS = {
  PEERDESK_POLL_CONCURRENCY: true,
  PEERDESK_DEVICE_TIMEOUT_MS: true,
  PEERDESK_ADMIN_TIMEOUT_MS: true,
  PEERDESK_SOCKET_DIRS: true,
} as const;
const pollingSchema = schema.pick(POLLING_KEYS);

/** The settings polling, admin actions and the drivers' sessions use (validated like the rest). */
export type PollingConfig = z.infer<typeof pollingSchema>;

let pollingCache: { key: string; config: PollingConfig } | null = null;

/**
 * The polling settings from the environment (or an explicit map), validated with the same rules as
 * loadConfig. Read per poll: the result is kept while those variables do not change.
 */
export function pollingConfig(env: Record<string, string | undefined> = process.env): PollingConfig {
  const key = Object.keys(POLLING_KEYS)
    .map((k) => env[k] ?? '')
    .join('\0');
  if (env === process.env && pollingCache?.key === key) return pollingCache.config;
  const picked: Record<string, string> = {};
  for (const k of Object.keys(POLLING_KEYS)) if (env[k] !== undefined && env[k] !== '') picked[k] = env[k]!;
  const parsed = pollingSchema.safeParse(picked);
  if (!parsed.success)
    throw new ConfigError(
      `invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  if (env === process.env) pollingCache = { key, config: parsed.data };
  return parsed.data;
}

/** Parses and validates the environment (or an explicit map, for tests). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('PEERDESK_') && v !== undefined && v !== '') picked[k] = v;
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
