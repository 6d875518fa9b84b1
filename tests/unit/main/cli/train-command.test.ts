import { describe, expect, it } from 'vitest';
import { doneLine } from '../../../../src/main/cli/train-command';
import { runSummary } from '../../../helpers/run-summary';

describe('ocellus train: the line a finished run prints', () => {
  it("leads with the released weights' figure when they are averaged, and gives the best epoch's too", () => {
    const run = runSummary();
    const averaged = { ...run, estimate: run.estimate && { ...run.estimate, accuracy: 0.839 } };
    const line = doneLine(averaged);
    expect(line).toMatch(
      /^Run 3: best epoch 6, validation accuracy 83\.9 % for the released weights \(the best epoch alone: 80\.0 %, loss 0\.4000\) on 31 held-out images/,
    );
    expect(line).toContain('95 % interval 63.0 %–91.0 %');
  });

  it("is the best epoch's figure when it is what was released", () => {
    expect(doneLine(runSummary())).toMatch(
      /^Run 3: best epoch 6, validation accuracy 80\.0 % \(loss 0\.4000\) on 31 held-out images\n/,
    );
  });
});
