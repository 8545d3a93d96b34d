/**
 * The deployment files (deploy/, docker-compose.yml) and the runtime config agree on environment
 * variable names and the listen port. ENV_VARS / DEFAULT_PORT are the config's own lists. (This check
 * lives beside the config rather than in deploy/, so that deploy's tests need no product package.)
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { DEFAULT_PORT, ENV_VARS } from '../src';

const ROOT = path.resolve(__dirname, '../../..');
const DEPLOY = path.join(ROOT, 'deploy');
/** Set by the image itself, not read by the config (deploy/docker/Dockerfile). */
const IMAGE_ENV = ['SERVICE', 'NODE_ENV'];

const readText = (p: string): string => fs.readFileSync(p, 'utf8');
const loadYamlDocs = (p: string): unknown[] => yaml.loadAll(readText(p)).filter((d) => d !== null && d !== undefined);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const known = new Set<string>([...ENV_VARS, ...IMAGE_ENV]);

function composeNodeEnv(): Record<string, Record<string, string>> {
  const [doc] = loadYamlDocs(path.join(ROOT, 'docker-compose.yml')) as Array<{ services: Record<string, { environment: Record<string, string> }> }>;
  return { api: doc!.services.api!.environment, socket: doc!.services.socket!.environment };
}

function k8sObjects(): Array<Record<string, any>> {
  return fs
    .readdirSync(path.join(DEPLOY, 'k8s'))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => loadYamlDocs(path.join(DEPLOY, 'k8s', f)))
    .filter(isRecord);
}

describe('env and ports agree with the code', () => {
  it('the config knows the variables every deployment sets', () => {
    for (const name of ['PORT', 'HOST', 'NODE_ID', 'MYSQL_URL', 'REDIS_URL', 'TOKEN_SECRET']) expect(ENV_VARS).toContain(name);
  });

  it('compose sets only known variables and the default port', () => {
    for (const [svc, env] of Object.entries(composeNodeEnv())) {
      for (const name of Object.keys(env)) if (!known.has(name)) throw new Error(`compose ${svc} sets unknown ${name}`);
      expect(Number(env.PORT)).toBe(DEFAULT_PORT);
    }
    expect(readText(path.join(DEPLOY, 'haproxy/haproxy.compose.cfg'))).toContain(`socket:${DEFAULT_PORT} `);
  });

  it('k8s sets only known variables and listens on the default port', () => {
    const objs = k8sObjects();
    for (const cm of objs.filter((o) => o.kind === 'ConfigMap')) {
      for (const name of Object.keys(cm.data ?? {})) if (!known.has(name)) throw new Error(`ConfigMap sets unknown ${name}`);
      expect(Number(cm.data.PORT)).toBe(DEFAULT_PORT);
    }
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      for (const e of c.env as Array<{ name: string }>) if (!known.has(e.name)) throw new Error(`${d.metadata.name} sets unknown ${e.name}`);
      expect(c.ports[0].containerPort).toBe(DEFAULT_PORT);
    }
  });

  it('the image listens on the default port', () => {
    const dockerfile = readText(path.join(DEPLOY, 'docker/Dockerfile'));
    expect(dockerfile).toContain(`EXPOSE ${DEFAULT_PORT}`);
    expect(dockerfile).toContain(`PORT=${DEFAULT_PORT}`);
    for (const m of dockerfile.matchAll(/^ENV (.+)$/gm)) {
      for (const kv of (m[1] as string).split(' ')) {
        const name = kv.split('=')[0] as string;
        if (!known.has(name) && !['CI', 'PNPM_HOME', 'PATH'].includes(name)) throw new Error(`Dockerfile sets unknown ${name}`);
      }
    }
  });
});
