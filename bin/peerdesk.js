#!/usr/bin/env node
// Entry point of the `peerdesk` command. Runs the compiled JavaScript in dist/ (npm run build:server) when it
// was built from exactly the sources now in src/, else the TypeScript sources (Node strips their types).
// PEERDESK_CLI_CODE=src|dist forces one (dist must exist); PEERDESK_CLI_DEBUG=1 says on stderr which ran.
import module from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// V8 code (and stripped TypeScript) cached on disk between runs; never fatal, silent when unavailable.
module.enableCompileCache?.();

const args = process.argv.slice(2);
const root = new URL('../', import.meta.url);

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
