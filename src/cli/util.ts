// Shared CLI helpers: open the configured database, print errors the same way.
import type { AppContext } from '../platform/http.ts';

/** Opens config + database (migrated) for a CLI command; exits with a readable message on bad config. */
export async function cliContext(): Promise<AppContext> {
  const { loadConfig, ConfigError } = await import('../platform/config.ts');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`peerdesk: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { openContext } = await import('../app.ts');
  return openContext(config);
}
