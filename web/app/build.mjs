// Builds the classroom app into dist/ (served by the server at /): dist/index.html,
// dist/app/*.js (ES modules, split: the whiteboard and documents panels are chunks loaded on
// demand), dist/app/app.css, dist/i18n/*.json. Prints the initial JavaScript's size (what a
// browser loads before the app can send a message) raw and gzip, and fails past the budget.
//
//   node app/build.mjs            (from web/; `npm run build` runs it)
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const app = dirname(fileURLToPath(import.meta.url));
const web = join(app, '..');
const dist = join(web, 'dist');
const out = join(dist, 'app');
const BUDGET_GZIP = 250 * 1024;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// protobufjs loads the `long` package when it can; the SDK reads 64-bit integers as numbers
// (sdk/src/longs.js), so keep `long` out of the bundle (as scripts/build.mjs does for the SDK).
const noLong = {
  name: 'no-long',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'no-long' }));
    b.onLoad({ filter: /.*/, namespace: 'no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

const result = await build({
  entryPoints: { main: join(app, 'src', 'main.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: process.env.PONTE_WEB_SOURCEMAP === '1' ? 'linked' : false,
  outdir: out,
  chunkNames: '[name]-[hash]',
  metafile: true,
  absWorkingDir: web,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [noLong],
});

copyFileSync(join(app, 'index.html'), join(dist, 'index.html'));
copyFileSync(join(app, 'src', 'app.css'), join(out, 'app.css'));
cpSync(join(app, 'i18n'), join(dist, 'i18n'), { recursive: true });

// Initial JS = the entry and every chunk it imports statically; the rest loads on demand.
const outputs = result.metafile.outputs;
const initial = new Set();
const visit = (file) => {
  if (initial.has(file)) return;
  initial.add(file);
  for (const imp of outputs[file].imports || []) if (imp.kind === 'import-statement') visit(imp.path);
};
const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint && f.endsWith('main.js'));
visit(entry);

const rows = [];
let initialRaw = 0;
let initialGzip = 0;
for (const file of Object.keys(outputs).filter((f) => f.endsWith('.js')).sort()) {
  const bytes = readFileSync(join(web, file));
  const gz = gzipSync(bytes, { level: 9 }).length;
  const isInitial = initial.has(file);
  if (isInitial) { initialRaw += bytes.length; initialGzip += gz; }
  rows.push(`  ${isInitial ? 'initial  ' : 'on demand'} ${relative(dist, join(web, file)).padEnd(40)} ${kib(bytes.length).padStart(10)} ${kib(gz).padStart(10)} gzip`);
}
const css = readFileSync(join(out, 'app.css'));
rows.push(`  initial   ${'app/app.css'.padEnd(40)} ${kib(css.length).padStart(10)} ${kib(gzipSync(css, { level: 9 }).length).padStart(10)} gzip`);
console.log(`app: built ${relative(web, dist)}/ (index.html, app/, i18n/)\n${rows.join('\n')}`);
console.log(`app: initial JavaScript ${kib(initialRaw)} raw, ${kib(initialGzip)} gzip (budget ${kib(BUDGET_GZIP)} gzip)`);
writeFileSync(join(dist, 'app', 'sizes.json'), JSON.stringify({ initialRaw, initialGzip, budgetGzip: BUDGET_GZIP }, null, 2));
if (initialGzip > BUDGET_GZIP) {
  console.error(`app: initial JavaScript is over budget: ${kib(initialGzip)} gzip > ${kib(BUDGET_GZIP)}`);
  process.exit(1);
}

function kib(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}
