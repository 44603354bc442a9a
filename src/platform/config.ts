// Configuration from PEERDESK_* environment variables, validated once with readable errors.
import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

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
  PEERDESK_BODY_LIMIT: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  PEERDESK_SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
});

export type Config = z.infer<typeof schema>;

/** Raised when the environment does not validate; its message lists every bad variable. */
export class ConfigError extends Error {}

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
