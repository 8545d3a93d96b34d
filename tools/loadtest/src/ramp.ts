/**
 * Ramp: run steps of rising rate until a bound breaks; the answer is the last
 * step that held. A step whose generator was saturated proves nothing about
 * the server, so it also ends the ramp (with that reason).
 *
 * A step that breaks on latency or saturation alone is run again at the same
 * rate (`retries` times) before the ramp ends: on a shared machine one stall
 * can push a single step's p99 over the bound, and a ramp decided by one stall
 * is not comparable with the next run's. Loss is never retried: a lost
 * delivery is a fault, not noise.
 */
export interface Bounds {
  /** End-to-end p99 in ms. */
  p99MaxMs: number;
  /** Lost / expected deliveries. */
  lossMax: number;
}

export interface StepOutcome {
  step: number;
  /** Messages per second per room. */
  rate: number;
  e2eP99Ms: number;
  lossRatio: number;
  /** Any worker saturated during the step. */
  saturated: boolean;
}

export type BreakReason = 'p99' | 'loss' | 'generator_saturated';

export interface StepVerdict {
  ok: boolean;
  reasons: BreakReason[];
}

export function judgeStep(o: StepOutcome, b: Bounds): StepVerdict {
  const reasons: BreakReason[] = [];
  if (o.e2eP99Ms > b.p99MaxMs) reasons.push('p99');
  if (o.lossRatio > b.lossMax) reasons.push('loss');
  if (o.saturated) reasons.push('generator_saturated');
  return { ok: reasons.length === 0, reasons };
}

export interface RampConfig extends Bounds {
  startRate: number;
  /** Each step's rate is the previous one times this (> 1). */
  factor: number;
  maxSteps: number;
  /** Runs of a broken rate before the ramp ends (loss excepted). Default 0. */
  retries?: number;
}

export type RampDecision =
  { done: false; nextRate: number; retry?: true } | { done: true; reason: BreakReason[] | 'max_steps'; lastGood: StepOutcome | undefined };

export class RampController {
  private readonly history: StepOutcome[] = [];
  private lastGood: StepOutcome | undefined;
  private finished = false;
  /** Distinct rates tried so far, and retries spent on the current one. */
  private rates = 0;
  private retriesSpent = 0;

  constructor(private readonly cfg: RampConfig) {
    if (!(cfg.factor > 1)) throw new RangeError('ramp factor must be > 1');
    if (!(cfg.startRate > 0)) throw new RangeError('ramp start rate must be > 0');
    if (!(cfg.maxSteps >= 1)) throw new RangeError('ramp needs at least one step');
    if (!((cfg.retries ?? 0) >= 0)) throw new RangeError('ramp retries must be >= 0');
  }

  /** Rate of step `i` (0-based). */
  rateOf(i: number): number {
    return Math.round(this.cfg.startRate * this.cfg.factor ** i * 1000) / 1000;
  }

  get steps(): readonly StepOutcome[] {
    return this.history;
  }

  /** Where the next step stands: its 1-based place among the distinct rates, and whether it repeats a broken one. */
  get position(): { step: number; repeat: boolean } {
    return { step: this.rates + 1, repeat: this.retriesSpent > 0 };
  }

  record(o: StepOutcome): RampDecision {
    if (this.finished) throw new Error('ramp already finished');
    this.history.push(o);
    const v = judgeStep(o, this.cfg);
    if (!v.ok) {
      if (!v.reasons.includes('loss') && this.retriesSpent < (this.cfg.retries ?? 0)) {
        this.retriesSpent++;
        return { done: false, nextRate: o.rate, retry: true };
      }
      this.finished = true;
      return { done: true, reason: v.reasons, lastGood: this.lastGood };
    }
    this.lastGood = o;
    this.retriesSpent = 0;
    this.rates++;
    if (this.rates >= this.cfg.maxSteps) {
      this.finished = true;
      return { done: true, reason: 'max_steps', lastGood: this.lastGood };
    }
    return { done: false, nextRate: this.rateOf(this.rates) };
  }
}
