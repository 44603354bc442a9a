// Passwords (scrypt), API tokens (random, stored as SHA-256) and secrets at rest (AES-256-GCM).
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type BinaryLike,
} from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const scrypt = promisify(scryptCb) as (pw: BinaryLike, salt: BinaryLike, len: number, opts: object) => Promise<Buffer>;
const N = 16384;
const R = 8;
const P = 1;

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a stored scrypt hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(expected, got);
}

/** A new random secret in URL-safe base64 with a readable prefix (e.g. `pd_…`). */
export function randomToken(prefix = '', bytes = 30): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex of a high-entropy token (tokens need no slow hash: they are not guessable). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Encrypts and decrypts secrets with AES-256-GCM under one key; ciphertext is `v1:iv:tag:data` (base64). */
export class SecretBox {
  readonly #key: Buffer;
  constructor(keyMaterial: string) {
    this.#key = createHash('sha256').update(keyMaterial).digest();
  }
  /** Encrypts a UTF-8 string. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${data.toString('base64')}`;
  }
  /** Decrypts what encrypt produced; throws when the key is wrong or the text was altered. */
  decrypt(box: string): string {
    const [v, iv, tag, data] = box.split(':');
    if (v !== 'v1') throw new Error('unknown secret format');
    const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
  }
}

/**
 * The secret key: PEERDESK_SECRET_KEY, or one generated on first use into the data folder
 * (SQLite deployments) and reused. PostgreSQL deployments with several instances must set it.
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string, allowGenerate: boolean): string {
  if (configured) return configured;
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!allowGenerate)
    throw new Error('PEERDESK_SECRET_KEY must be set when using PostgreSQL (all instances need the same key)');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
