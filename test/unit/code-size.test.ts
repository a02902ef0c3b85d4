/**
 * Keeps the source small enough to read: no file over 400 lines and no function over 80 outside
 * the benchmarks. A file or function that grows past that is split by what each part does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

function sources(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs'], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((f) => f && !f.startsWith('bench/') && !f.endsWith('.d.ts'))
    .filter((f) => {
      try {
        readFileSync(f);
        return true;
      } catch {
        return false; // deleted in the work tree
      }
    });
}

function longFunctions(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      // A test file's describe/test callbacks are lists of cases, not functions to split.
      const isTestBlock =
        /\.test\.ts$/.test(file) &&
        ts.isCallExpression(node.parent) &&
        /^(describe|test|it|suite)$/.test(node.parent.expression.getText(sf).split('.')[0] ?? '');
      if (lines > MAX_FUNCTION_LINES && !isTestBlock) {
        const name = (node as ts.FunctionLikeDeclaration).name?.getText(sf) ?? '(anonymous)';
        found.push(`${file}:${start + 1} ${name} has ${lines} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test(`no source file over ${MAX_FILE_LINES} lines`, () => {
  const long = sources()
    .map((f) => [f, readFileSync(f, 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > MAX_FILE_LINES)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.deepEqual(long, []);
});

test(`no function over ${MAX_FUNCTION_LINES} lines`, () => {
  const long = sources().flatMap((f) => longFunctions(f, readFileSync(f, 'utf8')));
  assert.deepEqual(long, []);
});
