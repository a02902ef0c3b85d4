/**
 * The layer rules of eslint.layers.js, run through ESLint itself with the repository's own config:
 * a file that imports the wrong way (up a layer, or a package its folder may not load) is
 * reported, and one that imports the right way is not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

const repo = resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: repo });

/** The layer rule's messages for a file of this text at this path (which need not exist). */
async function layerMessages(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: resolve(repo, path) });
  assert.ok(result, 'ESLint linted the text');
  return result.messages.filter((m) => m.ruleId === 'virtswitch/layers').map((m) => m.message);
}

describe('layer rules (eslint.layers.js)', () => {
  it('reports the live model importing the facade above it', async () => {
    const messages = await layerMessages('main/hosts/probe.ts', "import '../app/api.js';\n");
    assert.equal(messages.length, 1);
    assert.match(
      messages[0]!,
      /^main\/hosts may not import main\/app \(allowed: main\/libvirt, main\/platform, common;/,
    );
  });

  it('lets the live model import the wire client and the contract below it', async () => {
    const text = "import '../libvirt/index.js';\nimport '../../common/contract.js';\n";
    assert.deepEqual(await layerMessages('main/hosts/probe.ts', text), []);
  });

  it('keeps the shells to the facade and the contract', async () => {
    assert.equal((await layerMessages('main/serve/probe.ts', "import '../hosts/index.js';\n")).length, 1);
    assert.equal((await layerMessages('main/electron/probe.ts', "export * from '../consoles/x.js';\n")).length, 1);
    assert.deepEqual(await layerMessages('main/serve/probe.ts', "import '../app/api.js';\n"), []);
  });

  it('keeps the contract free of anything of ours, and the page free of Node', async () => {
    assert.equal((await layerMessages('common/probe.ts', "import '../main/app/api.js';\n")).length, 1);
    assert.deepEqual(await layerMessages('renderer/src/probe.ts', "import 'node:fs';\n"), [
      'renderer may not import node:fs (allowed: common; see docs/architecture.md)',
    ]);
    assert.deepEqual(await layerMessages('renderer/src/probe.ts', "import '../../common/contract.js';\n"), []);
  });
});
