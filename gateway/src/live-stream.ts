import type { CloudEvent } from '@cmp/platform';
import type { ExecutionResult } from 'graphql';

/**
 * A subscriber's stream: events queue here as the bus delivers them and are turned into results one at a time,
 * in order, when graphql-ws asks for the next. An async generator cannot be stopped while it waits, so this is
 * the iterator protocol by hand: `return()` ends a waiting `next()` at once.
 */
export class LiveStream implements AsyncGenerator<ExecutionResult> {
  private readonly queue: CloudEvent[] = [];
  private waiting: ((event: CloudEvent | null) => void) | null = null;
  private done = false;

  constructor(
    private readonly resolve: (event: CloudEvent) => Promise<ExecutionResult | null>,
    private readonly maxPending: number,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void,
  ) {}

  push(event: CloudEvent): void {
    if (this.done) return;
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = null;
      wake(event);
    } else if (this.queue.length >= this.maxPending) {
      this.onOverflow();
    } else {
      this.queue.push(event);
    }
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    while (!this.done) {
      const event = this.queue.shift() ?? (await new Promise<CloudEvent | null>((wake) => (this.waiting = wake)));
      if (!event || this.done) break;
      const result = await this.resolve(event);
      if (result && !this.done) return { value: result, done: false };
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.waiting?.(null);
      this.waiting = null;
      this.onEnd();
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
