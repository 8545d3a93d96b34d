/**
 * Ramp: run steps of rising rate until a bound breaks; the answer is the last
 * step that held. A step whose generator was saturated proves nothing about
 * the server, so it also ends the ramp (with that reason).
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
}

export type RampDecision =
  | { done: false; nextRate: number }
  | { done: true; reason: BreakReason[] | 'max_steps'; lastGood: StepOutcome | undefined };

export class RampController {
  private readonly history: StepOutcome[] = [];
  private lastGood: StepOutcome | undefined;
  private finished = false;

  constructor(private readonly cfg: RampConfig) {
    if (!(cfg.factor > 1)) throw new RangeError('ramp factor must be > 1');
    if (!(cfg.startRate > 0)) throw new RangeError('ramp start rate must be > 0');
    if (!(cfg.maxSteps >= 1)) throw new RangeError('ramp needs at least one step');
  }

  /** Rate of step `i` (0-based). */
  rateOf(i: number): number {
    return Math.round(this.cfg.startRate * this.cfg.factor ** i * 1000) / 1000;
  }

  get steps(): readonly StepOutcome[] {
    return this.history;
  }

  record(o: StepOutcome): RampDecision {
    if (this.finished) throw new Error('ramp already finished');
    this.history.push(o);
    const v = judgeStep(o, this.cfg);
    if (!v.ok) {
      this.finished = true;
      return { done: true, reason: v.reasons, lastGood: this.lastGood };
    }
    this.lastGood = o;
    if (this.history.length >= this.cfg.maxSteps) {
      this.finished = true;
      return { done: true, reason: 'max_steps', lastGood: this.lastGood };
    }
    return { done: false, nextRate: this.rateOf(this.history.length) };
  }
}
