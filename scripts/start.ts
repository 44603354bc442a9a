// `npm start`: builds the web UI when its assets are missing, refreshes the compiled CLI (dist/) when the
// sources changed since its build, then serves Peerdesk on SQLite by default.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}web/dist/index.html`)) {
  process.stderr.write('Building the web UI (first start)…\n');
  const r = spawnSync(
    process.execPath,
    [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', `${root}web/vite.config.ts`, '--logLevel', 'warn'],
    { stdio: 'inherit', cwd: root },
  );
  if (r.status !== 0) {
    process.stderr.write('UI build failed; serving the API only.\n');
  }
}
// A stale or missing dist/ only makes later `peerdesk` commands slower (they fall back to the sources).
const built = spawnSync(process.execPath, [`${root}scripts/build-server.ts`, '--if-stale', '--quiet'], {
  stdio: 'inherit',
  cwd: root,
});
if (built.status !== 0)
  process.stderr.write('Compiling the command line failed; peerdesk commands run the TypeScript sources.\n');
const r = spawnSync(process.execPath, [`${root}bin/peerdesk.js`, 'serve', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
