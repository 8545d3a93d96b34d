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
    expect(a.record({ step: 0, rate: 1, e2eP99Ms: 1, lossRatio: 0.01, saturated: true })).toEqual({ done: true, reason: ['loss', 'generator_saturated'], lastGood: undefined });
    const b = new RampController({ ...bounds, startRate: 1, factor: 2, maxSteps: 2 });
    b.record({ step: 0, rate: 1, e2eP99Ms: 1, lossRatio: 0, saturated: false });
    expect(b.record({ step: 1, rate: 2, e2eP99Ms: 1, lossRatio: 0, saturated: false })).toMatchObject({ done: true, reason: 'max_steps', lastGood: { rate: 2 } });
  });

  it('judges a single step against the bounds', () => {
    expect(judgeStep({ step: 0, rate: 1, e2eP99Ms: 50, lossRatio: 0.001, saturated: false }, bounds)).toEqual({ ok: true, reasons: [] });
    expect(() => new RampController({ ...bounds, startRate: 1, factor: 1, maxSteps: 3 })).toThrow(RangeError);
  });
});
