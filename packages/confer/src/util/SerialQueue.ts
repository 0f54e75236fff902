/** Runs async tasks one at a time in the order they were pushed (one negotiation step at a time per peer connection). @internal */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task`; the returned promise settles with it. A failed task does not stop the ones after it. */
  push<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
