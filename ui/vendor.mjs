// Copies the pinned browser libraries from node_modules into static/assets/, with their licences.
// The copies are committed: `spin build` and CI never need npm. Run after changing package.json:
//   cd ui && npm ci && npm run vendor
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const assets = join(here, '..', 'static', 'assets');

const bundles = {
  // Chart.js: the UMD build defines the global `Chart`; the ES build imports a bare specifier
  // (@kurkle/color) that a browser cannot resolve without a bundler.
  chart: [
    ['chart.js/dist/chart.umd.min.js', 'chart.umd.min.js'],
    ['chart.js/LICENSE.md', 'LICENSE.md'],
  ],
  'swagger-ui': [
    ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
    ['swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt', 'swagger-ui-bundle.js.LICENSE.txt'],
    ['swagger-ui-dist/swagger-ui.css', 'swagger-ui.css'],
    ['swagger-ui-dist/LICENSE', 'LICENSE.txt'],
    ['swagger-ui-dist/NOTICE', 'NOTICE.txt'],
  ],
};

for (const [bundle, files] of Object.entries(bundles)) {
  const out = join(assets, bundle);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const [from, to] of files) {
    copyFileSync(join(here, 'node_modules', from), join(out, to));
    console.log(`${bundle}/${to}`);
  }
}
