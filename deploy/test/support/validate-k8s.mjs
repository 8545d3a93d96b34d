// Validates Kubernetes objects with kubernetes-models (ESM-only, so it runs
// in its own node process instead of inside jest's CommonJS runtime).
// stdin: JSON array of objects; stdout: JSON array of { index, ok, error? }.
import { readFileSync } from 'node:fs';

const docs = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const [index, doc] of docs.entries()) {
  try {
    // One class file per kind: importing a whole API group index is slow.
    const mod = await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`);
    const Model = mod[doc.kind];
    if (typeof Model !== 'function') throw new Error(`no model for ${doc.apiVersion} ${doc.kind}`);
    new Model(doc).validate();
    results.push({ index, ok: true });
  } catch (err) {
    results.push({ index, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}
process.stdout.write(JSON.stringify(results));
