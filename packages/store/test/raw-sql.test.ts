import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
const SCANNED = ['packages', 'services', 'tools'];
/** knex's raw-SQL entry points: `knex.raw`, `whereRaw`, `orderByRaw`, `joinRaw`, `havingRaw`… */
const RAW_CALL = /^(raw|\w+Raw)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every raw-SQL call whose SQL is not one constant string: values must go in as bindings (`?`, `??`), never into the text. */
export function interpolatedRawCalls(file: string, text: string): string[] {
  const found: string[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && RAW_CALL.test(node.expression.name.text)) {
      const sql = node.arguments[0];
      const constant = sql !== undefined && (ts.isStringLiteral(sql) || ts.isNoSubstitutionTemplateLiteral(sql));
      if (!constant) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${path.relative(ROOT, file)}:${line + 1}: ${node.getText().slice(0, 80)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('raw SQL', () => {
  test('no knex.raw / whereRaw / …Raw call builds its SQL from values', () => {
    const offenders = SCANNED.flatMap((d) => sourceFiles(path.join(ROOT, d))).flatMap((f) => interpolatedRawCalls(f, fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('the check catches interpolation, concatenation and variables, and lets constants and bindings through', () => {
    const code = [
      "knex.raw(`SELECT * FROM t WHERE id = '${id}'`);",
      "q.whereRaw('name = ' + name);",
      'q.orderByRaw(sql);',
      "knex.raw('SELECT ?', [id]);",
      'q.whereRaw(`seq > ?`, [n]);',
      "knex.raw('ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb4 COLLATE ??', [table, collation]);",
    ].join('\n');
    expect(interpolatedRawCalls(path.join(ROOT, 'x.ts'), code)).toEqual([
      expect.stringMatching(/^x\.ts:1: knex\.raw\(`SELECT/),
      expect.stringMatching(/^x\.ts:2: q\.whereRaw\('name = ' \+ name\)/),
      expect.stringMatching(/^x\.ts:3: q\.orderByRaw\(sql\)/),
    ]);
  });
});
