// `npm start`: builds the web UI when its assets are missing, then serves Peerdesk on SQLite by default.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}web/dist/index.html`)) {
  process.stderr.write('Building the web UI (first start)…\n');
  const r = spawnSync(process.execPath, [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', `${root}web/vite.config.ts`, '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    process.stderr.write('UI build failed; serving the API only.\n');
  }
}
const r = spawnSync(process.execPath, [`${root}bin/peerdesk.js`, 'serve', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
