// `npm run build:server`: compiles src/**/*.ts (not tests) to JavaScript in dist/, one file per source, so the
// `peerdesk` command starts without type stripping. Each file is transpiled on its own (the sources are
// isolatedModules/erasable-only); type checking stays with `npm run typecheck`. The output keeps src/'s layout
// (dist/cli/main.js for src/cli/main.ts) so paths built from import.meta.url resolve to the same places.
// The stamp with the sources' fingerprint is written last: bin/peerdesk.js runs dist/ only when it matches.
// Then the hot commands (`irr`, `render` from files) are also bundled, each into one file dist/bundle/NAME.js
// with everything it can load (commander included) and a stamp of exactly those inputs (NAME.json): a run
// then loads one module instead of ~20 and checks ~20 files instead of walking src/ (bin/peerdesk.js).
//   --out DIR     write there instead of dist/ (tests)
//   --if-stale    do nothing when the output already matches the sources
//   --quiet       no summary line
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
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
    const res = ts.transpileModule(bytes.toString('utf8'), {
      compilerOptions: COMPILER_OPTIONS,
      fileName: file,
      reportDiagnostics: true,
    });
    for (const d of res.diagnostics ?? [])
      errors.push(`src/${rel}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    const target = join(tmp, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, res.outputText);
  }
  if (errors.length) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`cannot compile:\n${errors.join('\n')}`);
  }
  writeFileSync(
    join(tmp, STAMP),
    JSON.stringify({ format: BUILD_FORMAT, built_at: new Date().toISOString(), sources }),
  );
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

/**
 * Rolldown plugin: Node's builtins reached through process.getBuiltinModule instead of imported as ES modules.
 * Node's ES module facade of a builtin reads every export when it is created: node:fs's lazy ones then load
 * fs/promises, streams and readline, node:process's compute allowedNodeEnvironmentFlags, and commander's
 * `import childProcess from "node:child_process"` loads child_process and its dependencies although a
 * `peerdesk` run never spawns: together over 20 ms of a 60 ms run. Here a default import is a proxy that
 * loads the builtin on first use (`process` is the global itself), and each named export is a pure call, so
 * the bundle keeps, and loads at start, only the ones it uses.
 */
function builtinsWithoutFacade() {
  const PREFIX = '\0peerdesk-builtin:';
  return {
    name: 'peerdesk-builtins-without-facade',
    resolveId(id: string) {
      const name = id.startsWith('node:') ? id : `node:${id}`;
      if (!id.startsWith('node:') && !builtinModules.includes(id)) return null;
      try {
        if (!process.getBuiltinModule(name)) return null;
      } catch {
        return null;
      }
      return PREFIX + name;
    },
    load(id: string) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const names = Object.keys(process.getBuiltinModule(name) ?? {}).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default',
      );
      const lines =
        name === 'node:process'
          ? ['const __pdLoad = () => process;', 'export default process;']
          : [
              `let __pdMod;\nconst __pdLoad = () => (__pdMod ??= process.getBuiltinModule(${JSON.stringify(name)}));`,
              'export default /* @__PURE__ */ new Proxy({}, {',
              '  get: (_, k) => __pdLoad()[k],',
              '  set: (_, k, v) => ((__pdLoad()[k] = v), true),',
              '  has: (_, k) => k in __pdLoad(),',
              '  ownKeys: () => Reflect.ownKeys(__pdLoad()),',
              '  getOwnPropertyDescriptor: (_, k) => ({ ...Reflect.getOwnPropertyDescriptor(__pdLoad(), k), configurable: true }),',
              '});',
            ];
      lines.push('const __pdGet = (k) => __pdLoad()[k];');
      for (const k of names)
        if (!k.startsWith('__pd')) lines.push(`export const ${k} = /* @__PURE__ */ __pdGet(${JSON.stringify(k)});`);
      return lines.join('\n');
    },
  };
}

/** Commands bundled into dist/bundle/NAME.js, from the entries src/cli/bundle/NAME.ts. */
export const BUNDLED_COMMANDS = ['irr', 'render'] as const;
/** Bump when the bundles' layout or stamp changes: bin/peerdesk.js ignores a bundle stamp of another format. */
export const BUNDLE_FORMAT = 1;

/**
 * Bundles each hot command into `out`/bundle/NAME.js (ESM, dynamic imports inlined) with its stamp NAME.json:
 * every input file (relative to `root`) with [size, mtime ms, sha256], written after the bundle. The bundle
 * sits two levels under the root, like dist/cli/main.js, so paths built from import.meta.url still resolve.
 * Returns the bundles' names.
 */
export async function buildBundles(out: string, root = ROOT): Promise<string[]> {
  let rolldown: typeof import('rolldown').rolldown;
  try {
    ({ rolldown } = await import('rolldown'));
  } catch {
    // Rolldown comes with vite (a dev dependency): without it the commands run the per-file dist/.
    process.stderr.write('build-server: rolldown is not installed; the hot commands are not bundled\n');
    return [];
  }
  const dir = join(out, 'bundle');
  mkdirSync(dir, { recursive: true });
  for (const name of BUNDLED_COMMANDS) {
    const file = join(dir, `${name}.js`);
    const stampFile = join(dir, `${name}.json`);
    rmSync(stampFile, { force: true });
    const build = await rolldown({
      input: join(root, 'src', 'cli', 'bundle', `${name}.ts`),
      platform: 'node',
      cwd: root,
      logLevel: 'warn',
      plugins: [builtinsWithoutFacade()],
    });
    try {
      const { output } = await build.write({
        file,
        format: 'esm',
        codeSplitting: false,
        comments: { legal: false, annotation: false, jsdoc: false },
      });
      const inputs: Record<string, [number, number, string]> = {};
      for (const chunk of output) {
        if (chunk.type !== 'chunk') continue;
        for (const id of chunk.moduleIds) {
          if (id.startsWith('\0') || !id.startsWith(root)) continue;
          const bytes = readFileSync(id);
          const rel = relative(root, id).split(sep).join('/');
          inputs[rel] = [
            bytes.length,
            Math.trunc(statSync(id).mtimeMs),
            createHash('sha256').update(bytes).digest('hex'),
          ];
        }
      }
      writeFileSync(
        stampFile,
        JSON.stringify({
          format: BUNDLE_FORMAT,
          node: process.versions.node,
          built_at: new Date().toISOString(),
          inputs,
        }),
      );
    } finally {
      await build.close();
    }
  }
  return [...BUNDLED_COMMANDS];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 && args[outIdx + 1] ? resolve(args[outIdx + 1]) : join(ROOT, 'dist');
  const quiet = args.includes('--quiet');
  if (args.includes('--if-stale') && (await staleReason(out, SRC)) === null) {
    // A build from before the bundles (or one whose bundling was skipped) gets them now.
    if (BUNDLED_COMMANDS.some((name) => !existsSync(join(out, 'bundle', `${name}.json`)))) await buildBundles(out);
    if (!quiet) process.stderr.write(`${out} is up to date\n`);
  } else {
    const started = performance.now();
    try {
      const n = buildServer(out);
      const bundles = await buildBundles(out);
      if (!quiet)
        process.stderr.write(
          `compiled ${n} files to ${out}${bundles.length ? ` and bundled ${bundles.join(', ')}` : ''} in ${Math.round(performance.now() - started)} ms\n`,
        );
    } catch (err) {
      process.stderr.write(`build-server: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
