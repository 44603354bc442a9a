// Differential-test harness: renders many templates through Python's Jinja2 in ONE python3 process.
import { spawnSync } from 'node:child_process';

export interface JinjaCase {
  template: string;
  context?: Record<string, unknown>;
  options?: {
    trimBlocks?: boolean;
    lstripBlocks?: boolean;
    keepTrailingNewline?: boolean;
    undefined?: 'default' | 'strict';
  };
  /** Other templates reachable through include/import/extends. */
  templates?: Record<string, string>;
}

export type JinjaResult = { ok: true; output: string } | { ok: false; error: string; message: string };

// Sandboxed like Peering Manager; autoescape off as config templates need.
const SCRIPT = String.raw`
import sys, json
import jinja2
from jinja2.sandbox import SandboxedEnvironment
cases = json.load(sys.stdin)
out = []
for c in cases:
    o = c.get('options') or {}
    env = SandboxedEnvironment(
        trim_blocks=bool(o.get('trimBlocks')),
        lstrip_blocks=bool(o.get('lstripBlocks')),
        keep_trailing_newline=bool(o.get('keepTrailingNewline')),
        undefined=jinja2.StrictUndefined if o.get('undefined') == 'strict' else jinja2.Undefined,
        loader=jinja2.DictLoader(c.get('templates') or {}),
        autoescape=False,
    )
    try:
        out.append({'ok': True, 'output': env.from_string(c['template']).render(c.get('context') or {})})
    except Exception as e:
        out.append({'ok': False, 'error': type(e).__name__, 'message': str(e)})
sys.stdout.write(json.dumps(out))
`;

/** Renders every case with Python Jinja2 (3.1) in a single python3 run; results keep the input order. */
export function renderWithJinja2(cases: JinjaCase[], python = 'python3'): JinjaResult[] {
  const res = spawnSync(python, ['-c', SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python3 Jinja2 harness failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as JinjaResult[];
}

/** Version of Jinja2 that python3 imports, or null when python3 or Jinja2 is missing. */
export function jinja2Version(python = 'python3'): string | null {
  const res = spawnSync(python, ['-c', 'import jinja2; print(jinja2.__version__)'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : null;
}
