import { Redis } from 'ioredis';

/**
 * The Redis connections of one server process: one shared connection for commands and scripts
 * (ioredis pipelines concurrent calls on it), plus dedicated ones for what blocks a connection
 * (a subscriber). Every key the server writes starts with one prefix, so several deployments (or
 * test servers) can share a Redis without seeing each other. `close()` closes them all.
 */
export class RedisConnections {
  private readonly dedicated = new Set<Redis>();
  private closed = false;

  private constructor(
    /** The `redis://` URL every connection is opened with. */
    readonly url: string,
    /** What every key starts with, e.g. `confer:`. */
    readonly prefix: string,
    /** The shared connection for commands and scripts; never use it for SUBSCRIBE or blocking reads. */
    readonly command: Redis,
  ) {}

  /** Connects to `url` and checks that Redis answers; throws naming the URL when it does not. */
  static async connect(url: string, prefix: string): Promise<RedisConnections> {
    const command = openConnection(url, 'command');
    try {
      await command.connect();
      await command.ping();
    } catch (error) {
      command.disconnect();
      throw new Error(`Redis at ${url} did not answer: ${(error as Error).message}`, { cause: error });
    }
    return new RedisConnections(url, prefix, command);
  }

  /** The full key of `parts` joined by `:`, under the prefix. */
  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** A new connection of its own (a subscriber, a blocking read), closed by {@link close}. */
  async open(name: string): Promise<Redis> {
    if (this.closed) throw new Error('the Redis connections are closed');
    const connection = openConnection(this.url, name);
    this.dedicated.add(connection);
    await connection.connect();
    return connection;
  }

  /** Closes every connection (pending replies are awaited on the command connection). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.dedicated) connection.disconnect();
    this.dedicated.clear();
    await this.command.quit().catch(() => this.command.disconnect());
  }
}

function openConnection(url: string, name: string): Redis {
  // lazyConnect: connect() reports a wrong URL instead of retrying in the background forever;
  // afterwards ioredis reconnects by itself and queues commands meanwhile (a Redis restart is a pause).
  const connection = new Redis(url, { lazyConnect: true, connectionName: `confer-${name}`, maxRetriesPerRequest: 20 });
  // A lost connection fails the commands under way, which report it where they are awaited; the
  // event only repeats it (and unheard, ioredis would print every reconnection attempt).
  connection.on('error', () => {});
  return connection;
}
