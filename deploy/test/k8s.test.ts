import fs from 'node:fs';
import path from 'node:path';
import { DEPLOY, PROBE_PATHS, isRecord, loadYamlDocs, run } from './support/repo';

const DIR = path.join(DEPLOY, 'k8s');

// The validator runs in a child node process (kubernetes-models is ESM-only).
jest.setTimeout(120_000);
const FILES = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');

/* Just enough typing of the objects we inspect; kubernetes-models does the full validation. */
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

const objects: Array<Obj & { file: string }> = FILES.flatMap((file) =>
  loadYamlDocs(path.join(DIR, file)).map((doc) => {
    if (!isRecord(doc) || typeof doc.kind !== 'string') throw new Error(`${file}: a document without kind`);
    return { ...(doc as unknown as Obj), file };
  }),
);

const byKind = (kind: string): Obj[] => objects.filter((o) => o.kind === kind);
const deployments = byKind('Deployment');

function container(d: Obj): any {
  return d.spec.template.spec.containers[0];
}

/** A probe/service port may be a number or a container port name. */
function resolvePort(d: Obj, port: number | string): number | undefined {
  const ports = container(d).ports as Array<{ name?: string; containerPort: number }>;
  return typeof port === 'number' ? ports.find((p) => p.containerPort === port)?.containerPort : ports.find((p) => p.name === port)?.containerPort;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

describe('deploy/k8s', () => {
  it('has the expected objects, and kustomization lists every file', () => {
    const kinds = objects.map((o) => o.kind);
    for (const k of ['Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'NetworkPolicy'])
      expect(kinds).toContain(k);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['chat-api', 'chat-socket']);
    expect(objects.every((o) => !('namespace' in o.metadata))).toBe(true);
    const [kust] = loadYamlDocs(path.join(DIR, 'kustomization.yaml')) as Array<{ resources: string[] }>;
    expect([...(kust?.resources ?? [])].sort()).toEqual([...FILES].sort());
  });

  it('every object passes kubernetes-models validation', async () => {
    const docs = objects.map(({ file: _f, ...o }) => o);
    const res = await run(process.execPath, [path.join(__dirname, 'support/validate-k8s.mjs')], { cwd: DEPLOY, input: JSON.stringify(docs) });
    expect(res.stderr).toBe('');
    const results = JSON.parse(res.stdout) as Array<{ index: number; ok: boolean; error?: string }>;
    const failures = results.filter((r) => !r.ok).map((r) => `${objects[r.index]?.file} ${objects[r.index]?.kind}: ${r.error}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(objects.length);
  });

  it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s probes /readyz and /healthz on its container port', (_n, d) => {
    const c = container(d);
    expect(c.readinessProbe.httpGet.path).toBe(PROBE_PATHS.ready);
    expect(c.livenessProbe.httpGet.path).toBe(PROBE_PATHS.live);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) {
      expect(resolvePort(d, probe.httpGet.port)).toBeDefined();
    }
  });

  it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s drains gracefully and declares resources', (_n, d) => {
    const spec = d.spec.template.spec;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);
    expect(container(d).lifecycle.preStop.exec.command[0]).toBe('sleep');
    expect(container(d).resources.requests.cpu).toBeDefined();
    expect(container(d).resources.limits.memory).toBeDefined();
    expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
  });

  it('Services select a Deployment and target its container port', () => {
    for (const svc of byKind('Service')) {
      const d = deployments.find((dep) => matches(svc.spec.selector, dep.spec.template.metadata.labels));
      if (!d) throw new Error(`Service ${svc.metadata.name} selects no Deployment`);
      for (const p of svc.spec.ports) expect(resolvePort(d, p.targetPort)).toBeDefined();
    }
  });

  it('Ingresses point at existing Services; /socket.io/ has affinity and long timeouts', () => {
    const services = byKind('Service');
    for (const ing of byKind('Ingress')) {
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          const svc = services.find((s) => s.metadata.name === p.backend.service.name);
          if (!svc) throw new Error(`Ingress ${ing.metadata.name} -> missing Service ${p.backend.service.name}`);
          expect(svc.spec.ports.some((sp: { name?: string }) => sp.name === p.backend.service.port.name)).toBe(true);
        }
      }
    }
    const socketIng = byKind('Ingress').find((i) => i.spec.rules[0].http.paths.some((p: { path: string }) => p.path === '/socket.io/')) as Obj & {
      metadata: { annotations: Record<string, string> };
    };
    expect(socketIng.metadata.annotations['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    expect(Number(socketIng.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(socketIng.metadata.annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
  });

  it('HPAs target existing Deployments; PDBs select their pods', () => {
    const names = deployments.map((d) => d.metadata.name);
    const hpas = byKind('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual([...names].sort());
    for (const h of hpas) expect(h.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    const pdbs = byKind('PodDisruptionBudget');
    for (const d of deployments) {
      expect(pdbs.filter((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels))).toHaveLength(1);
    }
  });

  it('secrets come from a Secret reference and config from the ConfigMap', () => {
    const configMaps = byKind('ConfigMap').map((c) => c.metadata.name);
    for (const d of deployments) {
      const c = container(d);
      const secretVars = (c.env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>)
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => e.name)
        .sort();
      expect(secretVars).toEqual(['MYSQL_URL', 'REDIS_URL', 'TOKEN_SECRET']);
      for (const ref of c.envFrom as Array<{ configMapRef: { name: string } }>) expect(configMaps).toContain(ref.configMapRef.name);
    }
  });
});

const configMap = (): Record<string, string> => byKind('ConfigMap')[0]?.data ?? {};

/** A NetworkPolicy port: a number, or a container port name that every selected Deployment has. */
function policyPort(p: { port: number | string }): number[] {
  if (typeof p.port === 'number') return [p.port];
  return deployments.map((d) => {
    const resolved = resolvePort(d, p.port);
    if (resolved === undefined) throw new Error(`${d.metadata.name} has no container port named ${p.port}`);
    return resolved;
  });
}

describe('deploy/k8s hardening', () => {
  const policies = byKind('NetworkPolicy');

  it('nodes trust one proxy hop and serve /metrics on a port of their own, which no Service exposes', () => {
    const cm = configMap();
    expect(cm.TRUST_PROXY_HOPS).toBe('1');
    expect(cm.METRICS_HOST).toBe('0.0.0.0');
    const metricsPort = Number(cm.METRICS_PORT);
    expect(metricsPort).toBeGreaterThan(0);
    for (const d of deployments) {
      expect(resolvePort(d, 'metrics')).toBe(metricsPort);
      expect(resolvePort(d, 'http')).not.toBe(metricsPort);
      expect(d.spec.template.metadata.annotations?.['prometheus.io/port']).toBe(String(metricsPort));
    }
    for (const svc of byKind('Service')) {
      const d = deployments.find((dep) => matches(svc.spec.selector, dep.spec.template.metadata.labels))!;
      for (const p of svc.spec.ports) expect(resolvePort(d, p.targetPort)).not.toBe(metricsPort);
    }
  });

  it('a NetworkPolicy covers every node and restricts both directions', () => {
    expect(policies).toHaveLength(1);
    const np = policies[0]!;
    for (const d of deployments) expect(matches(np.spec.podSelector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    expect([...np.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
  });

  it('ingress: the http port only from the ingress controller namespace, the metrics port only from monitoring', () => {
    const rules = policies[0]!.spec.ingress as Array<{ from?: Array<Record<string, any>>; ports?: Array<{ port: number | string; protocol?: string }> }>;
    const cm = configMap();
    const allowed = rules.map((r) => {
      // A rule without `from` or `ports` would open the pods to everyone or on every port.
      expect(r.from?.length).toBeGreaterThan(0);
      expect(r.ports?.length).toBeGreaterThan(0);
      const namespaces = r.from!.map((f) => {
        expect(f.ipBlock).toBeUndefined();
        return f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] as string;
      });
      return { namespaces, ports: [...new Set(r.ports!.flatMap(policyPort))] };
    });
    expect(allowed).toEqual([
      { namespaces: ['ingress-nginx'], ports: [8080] },
      { namespaces: ['monitoring'], ports: [Number(cm.METRICS_PORT)] },
    ]);
  });

  it('egress: DNS, MySQL and Redis only', () => {
    const rules = policies[0]!.spec.egress as Array<{ to?: unknown[]; ports?: Array<{ port: number; protocol: string }> }>;
    for (const r of rules) {
      expect(r.to?.length).toBeGreaterThan(0);
      expect(r.ports?.length).toBeGreaterThan(0);
    }
    const ports = rules.flatMap((r) => r.ports!.map((p) => `${p.port}/${p.protocol}`)).sort();
    expect(ports).toEqual(['3306/TCP', '53/TCP', '53/UDP', '6379/TCP']);
  });

  it('every Ingress terminates TLS for all its hosts with the chat-tls Secret', () => {
    for (const ing of byKind('Ingress')) {
      const tls = ing.spec.tls as Array<{ hosts: string[]; secretName: string }> | undefined;
      if (!tls?.length) throw new Error(`Ingress ${ing.metadata.name} has no tls section`);
      expect(tls.map((t) => t.secretName)).toEqual(['chat-tls']);
      const covered = tls.flatMap((t) => t.hosts);
      for (const rule of ing.spec.rules as Array<{ host: string }>) expect(covered).toContain(rule.host);
    }
  });
});
