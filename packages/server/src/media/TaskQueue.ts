/**
 * Runs async steps one after another (house style 9): a peer connection's offer/answer and its
 * trickled candidates never interleave, whatever order the HTTP requests arrive in.
 */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task pushed before it; a failed task does not block the next. */
  push<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
