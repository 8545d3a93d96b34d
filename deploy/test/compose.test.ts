import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { DEPLOY, PROBE_PATHS, ROOT, exists, isRecord, loadYamlDocs, readText, run } from './support/repo';

const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const REPLICATED = ['api', 'socket'] as const;
/** What `docker compose up` needs from the environment (see the file's header). */
const REQUIRED_ENV = { TOKEN_SECRET: 'x'.repeat(32), MYSQL_PASSWORD: 'm'.repeat(24), REDIS_PASSWORD: 'r'.repeat(24) } as const;

// docker-compose (python) takes tens of seconds to start on a loaded 2-core machine.
jest.setTimeout(180_000);

type Service = Record<string, unknown>;

/** Removes string-valued `id` keys (draft-04 labels that ajv 8 rejects); a property named id has an object value and stays. */
function dropDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropDraft4Ids);
  if (!isRecord(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, dropDraft4Ids(v)]),
  );
}

function compose(): { services: Record<string, Service>; raw: Record<string, unknown> } {
  const [doc] = loadYamlDocs(COMPOSE_FILE);
  if (!isRecord(doc) || !isRecord(doc.services)) throw new Error('docker-compose.yml has no services map');
  return { services: doc.services as Record<string, Service>, raw: doc };
}

describe('docker-compose.yml', () => {
  const { services, raw } = compose();

  it('has the expected services', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'lb', 'mysql', 'redis', 'socket']);
  });

  it('is accepted by docker-compose config (needs TOKEN_SECRET, MYSQL_PASSWORD and REDIS_PASSWORD)', async () => {
    const env = { ...process.env, ...REQUIRED_ENV };
    const ok = await run('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { env });
    // `pnpm test` installs it first (scripts/ensure-test-tools.sh); a missing binary is a failure, not a skip.
    if (ok.missing) throw new Error('docker-compose is not installed (apt-get install -y docker-compose)');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    for (const name of Object.keys(REQUIRED_ENV)) {
      const without = Object.fromEntries(Object.entries(env).filter(([k]) => k !== name));
      const refused = await run('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { env: without });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(name);
    }
  });

  it('pins every image it pulls to an exact version', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (isRecord(svc.build)) continue; // built here (chat-cluster:local)
      expect([name, svc.image]).toEqual([name, expect.stringMatching(/^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)?$/)]);
    }
  });

  it('the nodes reach MySQL as the app user, never root, and MariaDB gets a random root password', () => {
    const mysql = services.mysql?.environment as Record<string, string>;
    expect(mysql.MARIADB_RANDOM_ROOT_PASSWORD).toBe('yes');
    expect(mysql.MARIADB_ROOT_PASSWORD).toBeUndefined();
    expect(mysql.MARIADB_PASSWORD).toBe('${MYSQL_PASSWORD:?set MYSQL_PASSWORD}');
    for (const name of REPLICATED) {
      const url = new URL((services[name]?.environment as Record<string, string>).MYSQL_URL!.replace('${MYSQL_PASSWORD:?set MYSQL_PASSWORD}', 'PW'));
      expect(url.username).toBe(mysql.MARIADB_USER);
      expect(url.username).not.toBe('root');
      expect(url.password).toBe('PW');
      expect(url.pathname).toBe(`/${mysql.MARIADB_DATABASE}`);
    }
  });

  it('Redis requires a password; its health check and the nodes use it', () => {
    const redis = services.redis as Service;
    const command = redis.command as string[];
    expect(command[command.indexOf('--requirepass') + 1]).toBe('${REDIS_PASSWORD:?set REDIS_PASSWORD}');
    // redis-cli answers NOAUTH with exit code 0: the check must look for PONG, authenticated.
    expect((redis.environment as Record<string, string>).REDISCLI_AUTH).toBe('${REDIS_PASSWORD:?set REDIS_PASSWORD}');
    expect(JSON.stringify((redis.healthcheck as Record<string, unknown>).test)).toContain('grep -q PONG');
    for (const name of REPLICATED) expect((services[name]?.environment as Record<string, string>).REDIS_PASSWORD).toBe('${REDIS_PASSWORD:?set REDIS_PASSWORD}');
  });

  it('the nodes trust exactly the load balancer hop and serve /metrics on an internal listener', () => {
    for (const name of REPLICATED) {
      const env = services[name]?.environment as Record<string, string>;
      expect(env.TRUST_PROXY_HOPS).toBe('1');
      expect(env.METRICS_HOST).toBe('0.0.0.0');
      expect(Number(env.METRICS_PORT)).toBeGreaterThan(0);
      expect(env.METRICS_PORT).not.toBe(env.PORT);
    }
    // lb is the only hop: it replaces X-Forwarded-For and refuses /metrics.
    const cfg = readText(path.join(DEPLOY, 'haproxy/haproxy.compose.cfg'));
    expect(cfg).toContain('http-request set-header X-Forwarded-For %[src]');
    expect(cfg).toContain('http-request deny if { path_beg /metrics }');
  });

  it('validates against the vendored compose-spec JSON schema', () => {
    const { $schema: _meta, ...schema } = dropDraft4Ids(JSON.parse(readText(path.join(DEPLOY, 'schemas/compose_spec.json')))) as Record<string, unknown>;
    // The schema names the 2019-09 meta-schema by its http:// id (unknown to ajv) and uses
    // draft-04 style `id` and compose-specific formats; ajv only needs to know they exist.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    for (const f of ['expose', 'ports', 'duration', 'subnet_ip_address']) ajv.addFormat(f, true);
    const validate = ajv.compile(schema);
    const valid = validate(raw);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('references only files that exist', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (isRecord(svc.build)) {
        const context = path.resolve(ROOT, String(svc.build.context ?? '.'));
        expect(exists(context)).toBe(true);
        const dockerfile = path.resolve(context, String(svc.build.dockerfile ?? 'Dockerfile'));
        if (!exists(dockerfile)) throw new Error(`${name}: build.dockerfile ${dockerfile} is missing`);
      }
      for (const v of (svc.volumes as unknown[] | undefined) ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : isRecord(v) ? String(v.source) : '';
        if (source?.startsWith('.') || source?.startsWith('/')) {
          if (!exists(path.resolve(ROOT, source))) throw new Error(`${name}: mounted file ${source} is missing`);
        }
      }
    }
  });

  it('publishes only the load balancer port so api and socket can be scaled', () => {
    for (const name of REPLICATED) {
      expect(services[name]?.ports).toBeUndefined();
      expect(services[name]?.container_name).toBeUndefined();
    }
    const published = Object.entries(services).filter(([, s]) => s.ports !== undefined);
    expect(published.map(([n]) => n)).toEqual(['lb']);
    expect(services.lb?.ports).toEqual(['8080:8080']);
  });

  it('gates start-up on healthy dependencies that have healthchecks', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (!isRecord(svc.depends_on)) continue;
      for (const [dep, cond] of Object.entries(svc.depends_on)) {
        expect(isRecord(cond) && cond.condition).toBe('service_healthy');
        if (!isRecord(services[dep]?.healthcheck)) throw new Error(`${name} waits for ${dep}, which has no healthcheck`);
      }
    }
  });

  it('health-checks the nodes on /healthz of the port they listen on', () => {
    for (const name of REPLICATED) {
      const svc = services[name] as Service;
      const env = svc.environment as Record<string, string>;
      const test = JSON.stringify((svc.healthcheck as Record<string, unknown>).test);
      expect(test).toContain(`:${env.PORT}${PROBE_PATHS.live}`);
      expect(env.SERVICE).toBe(name);
    }
  });

  it('lb mounts the compose HAProxy config whose DNS names and port match the services', () => {
    const lb = services.lb as Service;
    expect(lb.volumes).toContain('./deploy/haproxy/haproxy.compose.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    const cfg = readText(path.join(DEPLOY, 'haproxy/haproxy.compose.cfg'));
    for (const name of REPLICATED) {
      const port = (services[name]?.environment as Record<string, string>).PORT;
      expect(cfg).toMatch(new RegExp(`server-template \\S+ \\S+ ${name}:${port} .*resolvers docker`));
    }
    expect(cfg).toMatch(/^\s*bind :8080$/m);
  });
});
