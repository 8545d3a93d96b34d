import { judgeStep, RampController } from '../src/ramp';

const bounds = { p99MaxMs: 50, lossMax: 0.001 };

describe('RampController', () => {
  it('steps up until p99 breaks and reports the last good step', () => {
    const c = new RampController({ ...bounds, startRate: 10, factor: 2, maxSteps: 10 });
    expect(c.rateOf(0)).toBe(10);
    expect(c.record({ step: 0, rate: 10, e2eP99Ms: 5, lossRatio: 0, saturated: false })).toEqual({ done: false, nextRate: 20 });
    expect(c.record({ step: 1, rate: 20, e2eP99Ms: 12, lossRatio: 0, saturated: false })).toEqual({ done: false, nextRate: 40 });
    const d = c.record({ step: 2, rate: 40, e2eP99Ms: 80, lossRatio: 0, saturated: false });
    expect(d).toMatchObject({ done: true, reason: ['p99'], lastGood: { rate: 20 } });
    expect(() => c.record({ step: 3, rate: 80, e2eP99Ms: 1, lossRatio: 0, saturated: false })).toThrow();
  });

  it('stops on loss, on a saturated generator, and after max steps', () => {
    const a = new RampController({ ...bounds, startRate: 1, factor: 1.5, maxSteps: 5 });
    expect(a.record({ step: 0, rate: 1, e2eP99Ms: 1, lossRatio: 0.01, saturated: true })).toEqual({
      done: true,
      reason: ['loss', 'generator_saturated'],
      lastGood: undefined,
    });
    const b = new RampController({ ...bounds, startRate: 1, factor: 2, maxSteps: 2 });
    b.record({ step: 0, rate: 1, e2eP99Ms: 1, lossRatio: 0, saturated: false });
    expect(b.record({ step: 1, rate: 2, e2eP99Ms: 1, lossRatio: 0, saturated: false })).toMatchObject({
      done: true,
      reason: 'max_steps',
      lastGood: { rate: 2 },
    });
  });

  it('runs a step broken by p99 or saturation again before it stops, but never one broken by loss', () => {
    const c = new RampController({ ...bounds, startRate: 10, factor: 2, maxSteps: 3, retries: 1 });
    c.record({ step: 0, rate: 10, e2eP99Ms: 5, lossRatio: 0, saturated: false });
    expect(c.record({ step: 1, rate: 20, e2eP99Ms: 90, lossRatio: 0, saturated: false })).toEqual({ done: false, nextRate: 20, retry: true });
    // The retry held: the ramp goes on, and a later break gets its own retry.
    expect(c.record({ step: 2, rate: 20, e2eP99Ms: 30, lossRatio: 0, saturated: false })).toEqual({ done: false, nextRate: 40 });
    expect(c.record({ step: 3, rate: 40, e2eP99Ms: 10, lossRatio: 0, saturated: true })).toEqual({ done: false, nextRate: 40, retry: true });
    expect(c.record({ step: 4, rate: 40, e2eP99Ms: 70, lossRatio: 0, saturated: false })).toMatchObject({
      done: true,
      reason: ['p99'],
      lastGood: { step: 2, rate: 20 },
    });

    const lossy = new RampController({ ...bounds, startRate: 10, factor: 2, maxSteps: 3, retries: 2 });
    expect(lossy.record({ step: 0, rate: 10, e2eP99Ms: 90, lossRatio: 0.5, saturated: false })).toMatchObject({ done: true, reason: ['p99', 'loss'] });
  });

  it('counts distinct rates, not retries, against max steps', () => {
    const c = new RampController({ ...bounds, startRate: 1, factor: 2, maxSteps: 2, retries: 1 });
    expect(c.position).toEqual({ step: 1, repeat: false });
    expect(c.record({ step: 0, rate: 1, e2eP99Ms: 99, lossRatio: 0, saturated: false })).toMatchObject({ retry: true });
    expect(c.position).toEqual({ step: 1, repeat: true });
    expect(c.record({ step: 1, rate: 1, e2eP99Ms: 1, lossRatio: 0, saturated: false })).toEqual({ done: false, nextRate: 2 });
    expect(c.position).toEqual({ step: 2, repeat: false });
    expect(c.record({ step: 2, rate: 2, e2eP99Ms: 1, lossRatio: 0, saturated: false })).toMatchObject({
      done: true,
      reason: 'max_steps',
      lastGood: { rate: 2 },
    });
  });

  it('judges a single step against the bounds', () => {
    expect(judgeStep({ step: 0, rate: 1, e2eP99Ms: 50, lossRatio: 0.001, saturated: false }, bounds)).toEqual({ ok: true, reasons: [] });
    expect(() => new RampController({ ...bounds, startRate: 1, factor: 1, maxSteps: 3 })).toThrow(RangeError);
    expect(() => new RampController({ ...bounds, startRate: 1, factor: 2, maxSteps: 3, retries: -1 })).toThrow(RangeError);
  });
});
