// What each folder may import: one table, checked by a small local rule that resolves every
// relative import against the importing file. Layers, bottom up: common (the contract; imports
// nothing of ours), main/libvirt (the wire client; knows nothing of the app) and main/platform
// (files and folders), main/guests (the OS database and new guests' XML), main/hosts and
// main/consoles (the live model and the console pipeline), main/app (the facade), and on top the
// two shells (main/electron, main/serve), which see only main/app and common. The renderer and
// the preload run in the page's process: common only.
import { dirname, relative, resolve } from 'node:path';

const root = dirname(new URL(import.meta.url).pathname);

/** Folder → the folders of ours it may import (besides itself), and packages it may not. */
export const LAYERS = {
  common: { may: [], packages: ['node:', 'electron', 'ws'] },
  'main/platform': { may: [], packages: ['electron', 'ws'] },
  'main/libvirt': { may: [], packages: ['electron', 'ws'] },
  'main/hosts': {
    may: ['main/libvirt', 'main/platform', 'common'],
    packages: ['electron', 'ws', 'node:http', 'node:https'],
  },
  'main/guests': {
    may: ['main/libvirt', 'main/platform', 'common'],
    packages: ['electron', 'ws', 'node:http', 'node:https'],
  },
  'main/consoles': {
    may: ['main/hosts', 'main/libvirt', 'main/platform', 'common'],
    packages: ['electron', 'ws', 'node:http', 'node:https'],
  },
  'main/app': {
    may: ['main/hosts', 'main/guests', 'main/consoles', 'main/libvirt', 'main/platform', 'common'],
    packages: ['electron', 'ws', 'node:http', 'node:https'],
  },
  'main/serve': { may: ['main/app', 'common'], packages: ['electron'] },
  'main/electron': { may: ['main/app', 'common'], packages: ['ws'] },
  'main/electron-preload': { may: ['common'], packages: ['node:', 'ws'] },
  renderer: { may: ['common'], packages: ['node:', 'electron', 'ws'] },
};

const folders = Object.keys(LAYERS).sort((a, b) => b.length - a.length);
const layerOf = (rel) => folders.find((f) => rel === f || rel.startsWith(`${f}/`));

const layerRule = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { wrongWay: '{{from}} may not import {{what}} (allowed: {{allowed}}; see docs/architecture.md)' },
  },
  create(context) {
    const file = relative(root, context.filename);
    const from = layerOf(file);
    if (!from) return {};
    const { may, packages } = LAYERS[from];
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      let what;
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(context.filename), spec));
        const to = layerOf(target) ?? (target.startsWith('..') ? 'outside the repository' : target.split('/')[0]);
        if (to === from || may.includes(to)) return;
        what = to;
      } else if (packages.some((p) => spec === p || (p.endsWith(':') && spec.startsWith(p)))) {
        what = spec;
      } else return;
      context.report({
        node,
        messageId: 'wrongWay',
        data: { from, what, allowed: [...may].join(', ') || 'nothing of ours' },
      });
    };
    return {
      ImportDeclaration: (n) => {
        // Type-only imports of Electron describe what is injected; they load nothing.
        if (n.importKind === 'type' && n.source.value === 'electron') return;
        check(n.source, n.source.value);
      },
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value),
    };
  },
};

export const layerRules = [
  { plugins: { virtswitch: { rules: { layers: layerRule } } } },
  { files: ['common/**/*.ts', 'main/**/*.ts', 'renderer/**/*.ts'], rules: { 'virtswitch/layers': 'error' } },
  {
    // Only the two entry points load Electron itself; the rest of each side takes it by injection.
    files: ['main/electron/**/*.ts', 'main/electron-preload/**/*.ts'],
    ignores: ['main/electron/main.ts', 'main/electron-preload/preload.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              allowTypeImports: true,
              message: 'take Electron APIs by injection; only the entry points import electron',
            },
          ],
        },
      ],
    },
  },
];
