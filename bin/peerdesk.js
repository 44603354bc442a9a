#!/usr/bin/env node
// Entry point of the `peerdesk` command. Runs the compiled JavaScript in dist/ (npm run build:server) when it
// was built from exactly the sources now in src/, else the TypeScript sources (Node strips their types).
// The hot commands (`irr`, `render` from files) run their one-file bundle dist/bundle/NAME.js when every
// file it was built from is unchanged (its stamp NAME.json lists them): one module to load, ~20 files to check.
// PEERDESK_CLI_CODE=src|dist forces one (dist must exist; dist means the per-file build, no bundle);
// PEERDESK_CLI_DEBUG=1 says on stderr which ran.
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// node:fs through getBuiltinModule: its ES module facade would load fs/promises, streams and readline.
const { existsSync, readFileSync, statSync } = process.getBuiltinModule('node:fs');

// V8 code (and stripped TypeScript) cached on disk between runs (NODE_COMPILE_CACHE, else the OS temporary
// directory); never fatal, silent when unavailable or not writable.
try {
  module.enableCompileCache?.();
} catch {
  // No cache: the same code runs, only compiled anew.
}

const args = process.argv.slice(2);
const root = new URL('../', import.meta.url);
/** Bundle stamp format this file reads (BUNDLE_FORMAT in scripts/build-server.ts). */
const BUNDLE_FORMAT = 1;

// `--version` alone needs nothing but package.json: answer before loading any module.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version}\n`);
} else {
  const entry = await chooseEntry();
  const { main } = await import(entry);
  await main(args);
}

/**
 * Commands that dist/ can run today. The others open the database, whose migration loader and optional
 * route checks look for `.ts` files at run time (src/db/migrate.ts, src/app.ts): they run the sources.
 */
function distCanRun() {
  const command = args.find((a) => !a.startsWith('-'));
  if (command === undefined || command === 'help' || command === 'irr') return true;
  return command === 'render' && !args.includes('--router');
}

/** The bundle that can run this command line (see scripts/build-server.ts), or undefined. */
function bundleName() {
  const command = args.find((a) => !a.startsWith('-'));
  if (command === 'irr') return 'irr';
  if (command === 'render' && !args.includes('--router')) return 'render';
  return undefined;
}

/**
 * Why dist/bundle/NAME.js must not run: null when fresh, 'missing' when there is no usable bundle (then the
 * per-file dist/ decides), else the input that changed. Fresh means every input listed in the stamp has the
 * same size and the same mtime or (a checkout, a touch) the same SHA-256.
 */
async function bundleStaleReason(name) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL(`dist/bundle/${name}.json`, root), 'utf8'));
  } catch {
    return 'missing';
  }
  if (stamp.format !== BUNDLE_FORMAT || typeof stamp.inputs !== 'object' || stamp.inputs === null) return 'missing';
  for (const [rel, [size, mtime, hash]] of Object.entries(stamp.inputs)) {
    const file = new URL(rel, root);
    let st;
    try {
      st = statSync(file);
    } catch {
      return `${rel} was removed after the build`;
    }
    if (st.size !== size) return `${rel} changed after the build`;
    if (Math.trunc(st.mtimeMs) !== mtime) {
      const { createHash } = await import('node:crypto');
      if (createHash('sha256').update(readFileSync(file)).digest('hex') !== hash)
        return `${rel} changed after the build`;
    }
  }
  return existsSync(new URL(`dist/bundle/${name}.js`, root)) ? null : 'missing';
}

async function chooseEntry() {
  const src = new URL('src/cli/main.ts', root).href;
  const dist = new URL('dist/cli/main.js', root).href;
  const forced = process.env.PEERDESK_CLI_CODE;
  const debug = process.env.PEERDESK_CLI_DEBUG === '1' ? (m) => process.stderr.write(`peerdesk: ${m}\n`) : () => {};
  if (forced === 'src' || forced === 'dist') {
    debug(`running ${forced} (PEERDESK_CLI_CODE)`);
    return forced === 'src' ? src : dist;
  }
  if (!distCanRun()) {
    debug('running src: this command needs the sources');
    return src;
  }
  const bundle = bundleName();
  if (bundle) {
    const why = await bundleStaleReason(bundle);
    if (why === null) {
      debug(`running dist (bundle ${bundle})`);
      return new URL(`dist/bundle/${bundle}.js`, root).href;
    }
    if (why !== 'missing') {
      debug(`running src: dist/ is stale: ${why}`);
      return src;
    }
  }
  const distDir = fileURLToPath(new URL('dist', root));
  if (!existsSync(distDir)) {
    debug('running src: dist/ is not built (npm run build:server)');
    return src;
  }
  const { staleReason } = await import('./dist.js');
  const why = await staleReason(distDir, fileURLToPath(new URL('src', root)));
  debug(why ? `running src: dist/ is stale: ${why}` : 'running dist');
  return why ? src : dist;
}
