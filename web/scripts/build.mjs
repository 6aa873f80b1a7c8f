// Bundles the SDK and the app with esbuild into dist/ (served by the server at /, shipped in the
// jar as ponte-web/), and prints each output's raw and gzip size. Run `npm run build` (which
// generates the protobuf code first).
//
//   dist/sdk/ponte-sdk.js   the SDK as one ES module (for other apps: import { PonteClient } ...)
//   dist/index.html, dist/app/, dist/i18n/   the classroom app (app/build.mjs: split into
//                           on-demand chunks; prints the initial JavaScript's size)
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
const sourcemap = process.env.PONTE_WEB_SOURCEMAP === '1';

// protobufjs loads the `long` package when it can; the SDK reads 64-bit integers as numbers
// (sdk/src/longs.js), so keep `long` out of the bundles.
const noLong = {
  name: 'no-long',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'no-long' }));
    b.onLoad({ filter: /.*/, namespace: 'no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [noLong],
};

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'sdk'), { recursive: true });

await build({ ...common, entryPoints: [join(web, 'sdk', 'src', 'index.js')], outfile: join(dist, 'sdk', 'ponte-sdk.js') });

// The classroom app: its own script (code splitting for the on-demand panels, i18n, size budget).
await import(pathToFileURL(join(web, 'app', 'build.mjs')).href);

// The bundle must load outside a browser too (Node imports it in the SDK's docs' examples).
const sdk = await import(pathToFileURL(join(dist, 'sdk', 'ponte-sdk.js')).href);
for (const name of ['PonteClient', 'PonteError', 'pb', 'closeAction']) {
  if (!sdk[name]) {
    console.error(`build: dist/sdk/ponte-sdk.js does not export ${name}`);
    process.exit(1);
  }
}

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`build: dist/ in ${Date.now() - started} ms`);
for (const file of files(dist).sort()) {
  const body = readFileSync(file);
  console.log(`  ${relative(web, file).padEnd(28)} ${kib(body.length).padStart(10)}  gzip ${kib(gzipSync(body, { level: 9 }).length).padStart(9)}`);
}
