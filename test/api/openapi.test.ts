// The committed OpenAPI spec and the generated typed client must match the code (CI's currency check).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

describe('generated API contract', () => {
  it('openapi.json and web/src/api/schema.d.ts are current (run `npm run gen:client` if not)', () => {
    let out = '';
    let failed = false;
    try {
      out = execFileSync(process.execPath, ['scripts/openapi.ts', '--check'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err: any) {
      failed = true;
      out = String(err.stderr || err.stdout);
    }
    expect(failed, out).toBe(false);
    expect(out).toMatch(/current/);
  }, 60_000);
});
