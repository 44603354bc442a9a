// Counts the `any` type keywords in src/ (the README reports the number; keep it falling). Migrations
// (frozen, Kysely<any> by design), the template engine's dynamic values and tests are left out.
// Usage: npx node scripts/count-any.ts [--files]
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const skipDirs = [join(root, 'src/db/migrations'), join(root, 'src/templates/engine')];
const files: string[] = [];
function walk(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!skipDirs.includes(p)) walk(p);
    } else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.test-helper.ts')) files.push(p);
  }
}
walk(join(root, 'src'));

let total = 0;
const perFile: Record<string, number> = {};
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  let n = 0;
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) n++;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  total += n;
  if (n) perFile[relative(root, f)] = n;
}
if (process.argv.includes('--files'))
  for (const [f, n] of Object.entries(perFile).sort((a, b) => b[1] - a[1])) console.log(n, f);
console.log(`any in src/ (without migrations, template engine, tests): ${total} in ${files.length} files`);
