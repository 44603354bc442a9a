// Render isolation (issue 12, findings 1 and 2): hostile templates render in worker threads, so another
// client's /api/health answers while they run, a heap or time overrun kills only a worker, and the
// engine's budgets turn the known memory bombs into clean errors. Ordering is asserted with flags,
// never with durations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { BudgetError, SecurityError, TemplateError, TemplateSyntaxError } from '../../src/templates/engine/index.ts';
import {
  RENDER_STOPPED,
  RenderBusyError,
  RenderPool,
  checkSyntaxIsolated,
  closeRenderPool,
  getRenderPool,
  renderIsolated,
  renderWorkerUrl,
  type RenderJob,
} from '../../src/templates/render-pool.ts';

// A small worker heap makes the out-of-memory case quick; set before the shared pool is first used.
process.env.PEERDESK_RENDER_HEAP_MB = '128';
process.env.PEERDESK_RENDER_WORKERS = '2';
// Heavy renders stop at 3 s instead of 5 s: the same assertions with less CPU taken from parallel test files.
process.env.PEERDESK_RENDER_TIME_LIMIT_MS = '3000';
afterAll(() => {
  delete process.env.PEERDESK_RENDER_HEAP_MB;
  delete process.env.PEERDESK_RENDER_WORKERS;
  delete process.env.PEERDESK_RENDER_TIME_LIMIT_MS;
});

/** Generous bound for tests that wait on heavy renders on a loaded machine (a bound, not an assertion). */
const SLOW = 180_000;

/** The memory bombs of finding 1. */
const HOSTILE = {
  slice: '{{ range(10)|slice(1000000000)|list }}',
  batch: '{{ range(10)|batch(1000000000, fill_with=0)|list }}',
  strings: "{% set l = [] %}{% for i in range(1000) %}{{ l.append('x' * 10**7) }}{% endfor %}",
  repeat: '{{ [0]*10**7 }}',
};
/** Runs until the engine's own time limit stops it (it ticks in loops). */
const SPIN = '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}';
/** One filter call that runs for minutes without ticking (quadratic unique): only the hard kill stops it. */
const NO_TICK = '{{ range(100000)|unique|length }}';
/** Outgrows any worker heap when the engine's budgets are lifted: the worker dies, the server does not. */
const HEAP_BOMB = "{% set l = [] %}{% for i in range(10000) %}{{ l.append(('x' * 10**7)|upper) }}{% endfor %}";

function job(body: string, extra: Partial<RenderJob> = {}): RenderJob {
  return { body, name: 'hostile', options: {}, templates: {}, context: {}, ...extra };
}

/** Settles a promise into a flag-carrying record, so the test can ask "still running?" at any time. */
function track<T>(p: Promise<T>): {
  done: boolean;
  result: Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;
} {
  const t = { done: false, result: null as never as Promise<{ ok: true; value: T } | { ok: false; error: unknown }> };
  t.result = p
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    .finally(() => {
      t.done = true;
    });
  return t;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the render to fail');
}

describe('render pool', () => {
  afterAll(async () => closeRenderPool());

  it('renders with include/import from the given templates and the shipped ones, and keeps error classes with line and column', async () => {
    const templates = { 'm.j2': '{% macro hi(n) %}hi {{ n }}{% endmacro %}', 'inc.j2': '[{{ x }}]' };
    expect(
      await renderIsolated(
        job("{% from 'm.j2' import hi %}{{ hi(x) }} {% include 'inc.j2' %}", { templates, context: { x: 7 } }),
      ),
    ).toBe('hi 7 [7]');
    const syntax = await failure(renderIsolated(job('ok\n{{ x }\n')));
    expect(syntax).toBeInstanceOf(TemplateSyntaxError);
    expect((syntax as TemplateSyntaxError).line).toBe(2);
    expect((syntax as TemplateSyntaxError).column).toBe(6);
    const strict = await failure(renderIsolated(job('a\n{{ nope.x }}', { options: { undefined: 'strict' } })));
    expect(strict).toBeInstanceOf(TemplateError);
    expect((strict as TemplateError).line).toBe(2);
    expect(strict.message).toBe("'nope' is undefined");
  });

  it('checks syntax in a worker: deep nesting names the line, a valid body compiles without rendering', async () => {
    const deep = await failure(
      checkSyntaxIsolated({ body: 'a\n\n' + '{% if x %}\n'.repeat(20_000), name: 'big', options: {}, templates: {} }),
    );
    expect(deep).toBeInstanceOf(TemplateSyntaxError);
    expect((deep as TemplateSyntaxError).line).toBe(103);
    expect((deep as TemplateSyntaxError).rawMessage).toBe('template nesting exceeds the limit of 100 levels');
    // Would spin for minutes if rendered; a check only compiles it.
    await expect(
      checkSyntaxIsolated({ body: SPIN, name: 'spin', options: {}, templates: {} }),
    ).resolves.toBeUndefined();
  });

  it.each(Object.entries(HOSTILE))('finding 1 (%s) fails fast with a memory-budget error', async (_name, body) => {
    const err = await failure(renderIsolated(job(body)));
    expect(err).toBeInstanceOf(BudgetError);
    expect(err.message).toMatch(/^template exceeds its memory budget: /);
    expect((err as BudgetError).line).toBe(1);
  });

  it(
    'a render that never yields to the engine is terminated and the worker replaced',
    async () => {
      const pool = new RenderPool({ size: 1, maxQueue: 4, heapMb: 128, graceMs: 500 });
      try {
        const err = await failure(pool.render(job(NO_TICK, { timeLimitMs: 500 })));
        expect(err).toBeInstanceOf(TemplateError);
        expect(err.message).toBe(`${RENDER_STOPPED} (time limit)`);
        expect(pool.restarts).toBe(1);
        expect(await pool.render(job('{{ 6 * 7 }}'))).toBe('42');
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'a render that exhausts its worker heap kills only the worker; the process heap stays bounded and the next render works',
    async () => {
      const pool = new RenderPool({ size: 1, maxQueue: 4, heapMb: 128 });
      try {
        const before = process.memoryUsage().heapUsed;
        const err = await failure(
          pool.render(
            job(HEAP_BOMB, {
              timeLimitMs: 600_000,
              limits: { maxAllocBytes: 1e15, maxOutputBytes: 1e9, maxItems: 1e9 },
            }),
          ),
        );
        expect(err).toBeInstanceOf(TemplateError);
        expect(err.message).toBe(`${RENDER_STOPPED} (memory limit)`);
        // In-process this template grew the heap by gigabytes; here the main heap barely moves.
        expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 1024 * 1024);
        expect(await pool.render(job('{{ "still" }} {{ "here" }}'))).toBe('still here');
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'a full queue answers RenderBusyError (503) at once instead of waiting',
    async () => {
      const pool = new RenderPool({ size: 1, maxQueue: 1, heapMb: 128 });
      try {
        const running = track(pool.render(job(SPIN, { timeLimitMs: 30_000 })));
        const waiting = track(pool.render(job('{{ 1 }}')));
        const busy = await failure(pool.render(job('{{ 2 }}')));
        expect(busy).toBeInstanceOf(RenderBusyError);
        expect((busy as RenderBusyError).status).toBe(503);
        expect(running.done).toBe(false);
        expect(pool.queued).toBe(1);
        await pool.close();
        expect((await running.result).ok).toBe(false);
        expect((await waiting.result).ok).toBe(false);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it('finds the worker next to the module with the same extension (sources or compiled dist/)', () => {
    expect(renderWorkerUrl('file:///app/src/templates/render-pool.ts').href).toBe(
      'file:///app/src/templates/render-worker.ts',
    );
    expect(renderWorkerUrl('file:///app/dist/templates/render-pool.js').href).toBe(
      'file:///app/dist/templates/render-worker.js',
    );
    expect(renderWorkerUrl('file:///app/dist/templates/render-pool.mjs').href).toBe(
      'file:///app/dist/templates/render-worker.mjs',
    );
  });
});

describe.each(engines())('render isolation through the API on %s', (engine) => {
  let t: TestApp;
  let routerId: number;
  beforeAll(async () => {
    t = await startTestApp(engine);
    routerId = (await t.api('POST', '/api/routers/', { name: 'edge1', local_asn: 64500, router_id: '192.0.2.1' })).body
      .id;
  });
  afterAll(async () => {
    await t?.close();
    await closeRenderPool();
  });

  const preview = (body: string) =>
    t.api('POST', '/api/templates/preview/', { body, router: routerId }, { role: 'viewer' });
  const health = () => t.api('GET', '/api/health', undefined, { role: 'anonymous' });

  it.each(Object.entries(HOSTILE))(
    'a viewer previewing finding 1 (%s) gets a 400 naming the budget, not a crashed server',
    async (_name, body) => {
      const res = await preview(body);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('template');
      expect(res.body.errors[0].message).toMatch(/template exceeds its memory budget/);
      expect((await health()).status).toBe(200);
    },
  );

  it(
    'deep nesting and prototype keys give 400 naming the line or render normally',
    async () => {
      const parens = await preview('x\n{{ ' + '('.repeat(100_000) + '1' + ')'.repeat(100_000) + ' }}');
      expect(parens.status).toBe(400);
      expect(parens.body.errors[0].message).toMatch(/line 2/);
      const ifs = await preview('{% if true %}\n'.repeat(20_000) + '{% endif %}'.repeat(20_000));
      expect(ifs.status).toBe(400);
      expect(ifs.body.errors[0].message).toMatch(/line 101/);
      const proto = await preview('{{ dict(__proto__=1) }}');
      expect(proto.status).toBe(200);
      expect(proto.body.content).toBe("{'__proto__': 1}");
    },
    SLOW,
  );

  it(
    'health answers while a hostile render runs in the pool (called directly)',
    async () => {
      const spin = track(renderIsolated(job(SPIN)));
      await expect.poll(() => getRenderPool().running, { timeout: 60_000 }).toBe(1);
      const h = await health();
      expect(h.status).toBe(200);
      expect(h.body.status).toBe('ok');
      expect(spin.done).toBe(false);
      const r = await spin.result;
      expect(r.ok).toBe(false);
      expect((r as { error: Error }).error).toBeInstanceOf(SecurityError);
      expect((r as { error: Error }).error.message).toBe('template render exceeded its time limit');
    },
    SLOW,
  );

  it(
    'health answers while a heavy preview is still running',
    async () => {
      const heavy = track(preview(SPIN));
      await expect.poll(() => getRenderPool().running, { timeout: 60_000 }).toBe(1);
      const h = await health();
      expect(h.status).toBe(200);
      expect(heavy.done).toBe(false);
      const r = await heavy.result;
      expect(r.ok).toBe(true);
      const res = (r as { value: { status: number; body: any } }).value;
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toMatch(/exceeded its time limit/);
    },
    SLOW,
  );

  it(
    'four concurrent heavy previews do not block health; afterwards previews work again',
    async () => {
      const heavy = [0, 1, 2, 3].map(() => track(preview(SPIN)));
      // Two render on the two workers, two wait in the queue.
      await expect.poll(() => [getRenderPool().running, getRenderPool().queued], { timeout: 60_000 }).toEqual([2, 2]);
      for (let i = 0; i < 3; i++) {
        const h = await health();
        expect(h.status).toBe(200);
      }
      expect(heavy.every((x) => !x.done)).toBe(true);
      const results = await Promise.all(heavy.map((x) => x.result));
      for (const r of results) {
        expect(r.ok).toBe(true);
        expect((r as { value: { status: number } }).value.status).toBe(400);
      }
      const ok = await preview('{{ router.name }}');
      expect(ok.status).toBe(200);
      expect(ok.body.content).toBe('edge1');
    },
    SLOW,
  );
});
