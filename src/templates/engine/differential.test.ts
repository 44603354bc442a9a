// Differential suite: every case renders byte-identically in Python Jinja2 3.1 and Peerdesk.
import { beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason } from '../../../test/support/lab.ts';
import { renderWithJinja2, type JinjaResult } from '../../../test/support/jinja2.ts';
import { Environment } from './index.ts';
import { CASES } from './differential.cases.ts';

function renderPeerdesk(c: (typeof CASES)[number]): JinjaResult {
  const env = new Environment({ ...c.options, loader: c.templates ?? {} });
  try {
    return { ok: true, output: env.fromString(c.template).render(c.context ?? {}) };
  } catch (err) {
    return { ok: false, error: (err as Error).name, message: (err as Error).message };
  }
}

describe.skipIf(labSkipReason('python3', 'python3-jinja2'))('Jinja2 differential', () => {
  let expected: JinjaResult[] = [];
  beforeAll(() => {
    expected = renderWithJinja2(CASES);
  });

  it('has at least 300 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
  });

  CASES.forEach((c, i) => {
    const label = `#${i} ${JSON.stringify(c.template).slice(0, 70)}${c.options ? ' ' + JSON.stringify(c.options) : ''}`;
    it(label, () => {
      const want = expected[i];
      const got = renderPeerdesk(c);
      if (want.ok) {
        expect(got).toEqual(want);
      } else {
        // Both must fail; messages may differ in wording.
        expect(got.ok, `Jinja2 raised ${want.error}: ${want.message}`).toBe(false);
      }
    });
  });
});
