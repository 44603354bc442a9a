// `npm run bench -- NAME`: runs bench/NAME.bench.ts and prints its figures as one JSON line.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''));
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (!names.length) {
  process.stderr.write(`usage: npm run bench -- NAME [NAME…]\navailable: ${available.join(', ')}\n`);
  process.exit(2);
}
for (const name of names) {
  const file = `${dir}${name}.bench.ts`;
  if (!existsSync(file)) {
    process.stderr.write(`no benchmark "${name}"; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  const mod = (await import(file)) as { run(): Promise<Record<string, unknown>> };
  const started = Date.now();
  const figures = await mod.run();
  process.stdout.write(
    `${JSON.stringify({ bench: name, at: new Date().toISOString(), wall_s: (Date.now() - started) / 1000, ...figures })}\n`,
  );
}
