/**
 * The one decision function: every predict path (the app, `ocellus predict`, a bundle's
 * predict.mjs and index.html, which embed this function's source) calls it, so a threshold
 * gives the same decision everywhere. Self-contained on purpose: no imports, plain values.
 *
 * The positive class when its probability reaches the threshold, else the most probable
 * other class.
 */
export function decide(
  probabilities: ArrayLike<number>,
  classes: readonly string[],
  rule: { positiveClass: string; threshold: number },
): string {
  const positive = classes.indexOf(rule.positiveClass);
  if (positive < 0) return '';
  if ((probabilities[positive] ?? 0) >= rule.threshold) return rule.positiveClass;
  let best = -1;
  for (let c = 0; c < classes.length; c++) {
    if (c === positive) continue;
    if (best < 0 || (probabilities[c] ?? 0) > (probabilities[best] ?? 0)) best = c;
  }
  return best < 0 ? '' : (classes[best] ?? '');
}
