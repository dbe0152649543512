// Compares backprop gradients with numerical ones. Two metrics, because each misses something:
// the per-entry relative error |a − n| / max(|a|, |n|, floor) catches one wrong entry that the
// norm would average away; the global ‖a − n‖ / (‖a‖ + ‖n‖) is the single number to report.
// `floor` keeps entries that are both ~0 from dividing rounding noise by nothing.
import { ShapeError } from './errors.js';
import type { Gradients } from './mlp.js';

export interface GradientComparison {
  /** Worst per-entry relative error, and where it is. */
  maxRelativeError: number;
  worst: { name: string; index: number; analytic: number; numerical: number };
  /** ‖a − n‖ / (‖a‖ + ‖n‖) over all parameters together. */
  globalRelativeError: number;
}

export function compareGradients(analytic: Gradients, numerical: Gradients, floor = 1e-4): GradientComparison {
  let diff2 = 0;
  let a2 = 0;
  let n2 = 0;
  let worst = { name: '', index: -1, analytic: 0, numerical: 0 };
  let maxRelativeError = 0;
  for (const name of Object.keys(analytic)) {
    const a = analytic[name];
    const n = numerical[name];
    if (!n || n.length !== a.length) throw new ShapeError(`gradient '${name}' is missing or has another length`);
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - n[i];
      diff2 += d * d;
      a2 += a[i] * a[i];
      n2 += n[i] * n[i];
      const relative = Math.abs(d) / Math.max(Math.abs(a[i]), Math.abs(n[i]), floor);
      // A NaN entry is the worst and stays so: no later entry compares above it.
      if (relative > maxRelativeError || (Number.isNaN(relative) && !Number.isNaN(maxRelativeError))) {
        maxRelativeError = relative;
        worst = { name, index: i, analytic: a[i], numerical: n[i] };
      }
    }
  }
  const globalRelativeError = Math.sqrt(diff2) / (Math.sqrt(a2) + Math.sqrt(n2) || 1);
  return { maxRelativeError, worst, globalRelativeError };
}
