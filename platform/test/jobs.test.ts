import { describe, expect, it } from 'vitest';
import { createLogger, startIntervalJob } from '../src/index.ts';

const log = createLogger({ name: 'test', level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('interval jobs', () => {
  it('never overlaps runs, keeps going after a failure, and stop() waits for the run in progress', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let finished = 0;
    const job = startIntervalJob('test', 5, log, async () => {
      runs += 1;
      active += 1;
      maxActive = Math.max(maxActive, active);
      await sleep(20);
      active -= 1;
      finished += 1;
      if (runs === 1) throw new Error('first run fails');
    });
    await sleep(120);
    await job.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(finished).toBe(runs);
    const after = runs;
    await sleep(30);
    expect(runs).toBe(after);
  });
});
