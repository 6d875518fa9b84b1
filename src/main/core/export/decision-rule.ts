import type Database from 'better-sqlite3';
import { decide } from '../../../shared/decision';
import type { DecisionRule, RunOperatingPoint } from '../../../shared/types';
import { OperatingPointStore } from '../eval/operating-point-store';
import type { Predictor } from './predictor';

/** labels.json of a bundle: the classes, and the run's operating point when it has one. */
export function bundleLabels(
  db: Database.Database,
  run: { id: number; classes: string[] },
): { classes: string[]; operatingPoint?: BundleOperatingPoint } {
  const point = new OperatingPointStore(db).get(run.id);
  return point
    ? { classes: run.classes, operatingPoint: bundlePoint(point) }
    : { classes: run.classes };
}

/** The operating point as a bundle carries it: the rule, how it was chosen, its figures. */
export interface BundleOperatingPoint extends DecisionRule {
  chosenBy: RunOperatingPoint['target'];
  validation: Pick<
    RunOperatingPoint,
    'sensitivity' | 'specificity' | 'ppv' | 'npv' | 'intervals' | 'count'
  >;
}

function bundlePoint(p: RunOperatingPoint): BundleOperatingPoint {
  return {
    positiveClass: p.positiveClass,
    threshold: p.threshold,
    chosenBy: p.target,
    validation: {
      sensitivity: p.sensitivity,
      specificity: p.specificity,
      ppv: p.ppv,
      npv: p.npv,
      intervals: p.intervals,
      count: p.count,
    },
  };
}

/** The rule a bundle's labels.json carries, or null. */
export function ruleOf(labels: { operatingPoint?: Partial<DecisionRule> }): DecisionRule | null {
  const p = labels.operatingPoint;
  return p && typeof p.positiveClass === 'string' && typeof p.threshold === 'number'
    ? { positiveClass: p.positiveClass, threshold: p.threshold }
    : null;
}

/** The predictor, writing each row's decision by the rule (unchanged without one). */
export function withDecisionRule(p: Predictor, rule: DecisionRule | null): Predictor {
  if (!rule) return p;
  return {
    ...p,
    decisionRule: rule,
    async predict(files) {
      const rows = await p.predict(files);
      for (const r of rows)
        if (r.probabilities) r.decision = decide(r.probabilities, p.classes, rule);
      return rows;
    },
  };
}

/**
 * JavaScript source defining `decide`, for the bundle's predict.mjs and index.html: the very
 * function every other path calls, so all of them decide alike.
 */
export function decideSource(): string {
  return `const decide = ${decide.toString()};`;
}
