import type { Logger } from './logger.ts';

export interface RunningJob {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, never two runs at once in this process; a failed run is logged and tried again
 * at the next interval. Safety across replicas is the work's own (row locks, SKIP LOCKED, conditional updates).
 */
export function startIntervalJob(name: string, intervalMs: number, log: Logger, work: () => Promise<void>): RunningJob {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = work()
      .catch((error: unknown) => log.error({ err: error, job: name }, `${name} failed; tried again next interval`))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
