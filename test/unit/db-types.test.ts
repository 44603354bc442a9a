// The committed table types (src/platform/db.types.ts) must be what the migrations give now.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

describe('generated database types', () => {
  it('src/platform/db.types.ts is current (run `npx node scripts/db-types.ts` if not)', () => {
    let out = '';
    let failed = false;
    try {
      out = execFileSync(process.execPath, ['scripts/db-types.ts', '--check'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err: any) {
      failed = true;
      out = String(err.stderr || err.stdout);
    }
    expect(failed, out).toBe(false);
    expect(out).toMatch(/is current/);
  }, 60_000);
});
