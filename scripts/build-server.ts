// `npm run build:server`: compiles src/**/*.ts (not tests) to JavaScript in dist/, one file per source, so the
// `peerdesk` command starts without type stripping. Each file is transpiled on its own (the sources are
// isolatedModules/erasable-only); type checking stays with `npm run typecheck`. The output keeps src/'s layout
// (dist/cli/main.js for src/cli/main.ts) so paths built from import.meta.url resolve to the same places.
// The stamp with the sources' fingerprint is written last: bin/peerdesk.js runs dist/ only when it matches.
//   --out DIR     write there instead of dist/ (tests)
//   --if-stale    do nothing when the output already matches the sources
//   --quiet       no summary line
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createHash } from 'node:crypto';
import { BUILD_FORMAT, STAMP, sourceStats, staleReason } from '../bin/dist.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2024,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
  removeComments: true,
  newLine: ts.NewLineKind.LineFeed,
};

/** Transpiles every runtime source of `src` into `out` (replaced atomically); returns the number of files written. */
export function buildServer(out: string, src = SRC): number {
  // Stat before reading and stamp what was read: a file edited during the build then no longer matches.
  const stats = sourceStats(src);
  const sources: Record<string, [number, number, string]> = {};
  const tmp = `${out.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const errors: string[] = [];
  for (const [rel, [, mtime]] of Object.entries(stats)) {
    const file = join(src, rel);
    const bytes = readFileSync(file);
    sources[rel] = [bytes.length, mtime, createHash('sha256').update(bytes).digest('hex')];
    const res = ts.transpileModule(bytes.toString('utf8'), { compilerOptions: COMPILER_OPTIONS, fileName: file, reportDiagnostics: true });
    for (const d of res.diagnostics ?? []) errors.push(`src/${rel}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    const target = join(tmp, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, res.outputText);
  }
  if (errors.length) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`cannot compile:\n${errors.join('\n')}`);
  }
  writeFileSync(join(tmp, STAMP), JSON.stringify({ format: BUILD_FORMAT, built_at: new Date().toISOString(), sources }));
  // Swap in the new tree; a concurrent build may have swapped its own in between, so retry a few times.
  for (let attempt = 0; ; attempt++) {
    rmSync(out, { recursive: true, force: true });
    try {
      renameSync(tmp, out);
      break;
    } catch (err) {
      if (attempt >= 4 || !['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return Object.keys(sources).length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 && args[outIdx + 1] ? resolve(args[outIdx + 1]) : join(ROOT, 'dist');
  const quiet = args.includes('--quiet');
  if (args.includes('--if-stale') && (await staleReason(out, SRC)) === null) {
    if (!quiet) process.stderr.write(`${out} is up to date\n`);
  } else {
    const started = performance.now();
    try {
      const n = buildServer(out);
      if (!quiet) process.stderr.write(`compiled ${n} files to ${out} in ${Math.round(performance.now() - started)} ms\n`);
    } catch (err) {
      process.stderr.write(`build-server: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
