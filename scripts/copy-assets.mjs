// Copies non-TypeScript runtime assets (SQL migrations, Lua scripts) next to the compiled code.
import { cpSync, existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';

const exts = new Set(['.sql', '.lua']);
// Generated documentation of the migrated schema (npm run schema): nothing reads it at run time.
const notShipped = new Set([join('src', 'db', 'schema.sql')]);
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (exts.has(name.slice(name.lastIndexOf('.'))) && !notShipped.has(path)) {
      const target = join('dist', relative('src', path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
if (existsSync('src')) walk('src');
