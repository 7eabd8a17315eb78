/**
 * A TCP proxy on 127.0.0.1 in front of a loopback server (the test IMAP server), for what a real
 * network does to a mail client: it records what the client says, and can drop the line in the
 * middle of an answer — after a command matching a pattern, once so many bytes of the answer
 * have passed — as a server or a network does mid-fetch.
 */
import { type AddressInfo, createServer, connect, type Socket } from 'node:net';

export interface DropRule {
  /** The client line (a command) after which the answer is cut, e.g. /UID FETCH .*BODY\.PEEK\[\]/. */
  afterCommand: RegExp;
  /** Bytes of the server's answer let through before the line drops. */
  afterBytes: number;
  /** How many connections it strikes (default 1). */
  times?: number;
}

export interface TcpProxy {
  host: '127.0.0.1';
  port: number;
  /** Every line the clients sent, in order, across connections. */
  readonly clientLines: string[];
  /** Cuts the line as the rule says. */
  dropOnce(rule: DropRule): void;
  /** Lines dropped so far. */
  readonly drops: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const clientLines: string[] = [];
  const sockets = new Set<Socket>();
  let rule: (DropRule & { remaining: number }) | undefined;
  let drops = 0;

  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let pending = '';
    let armed: { bytesLeft: number } | undefined;
    const cut = () => {
      drops++;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline).replace(/\r$/, '');
        pending = pending.slice(newline + 1);
        clientLines.push(line);
        if (rule && rule.remaining > 0 && rule.afterCommand.test(line)) {
          rule.remaining--;
          armed = { bytesLeft: rule.afterBytes };
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) return void client.write(chunk);
      if (chunk.length <= armed.bytesLeft) {
        armed.bytesLeft -= chunk.length;
        return void client.write(chunk);
      }
      client.write(chunk.subarray(0, armed.bytesLeft), () => cut());
      armed = undefined;
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    clientLines,
    dropOnce(next) {
      rule = { ...next, remaining: next.times ?? 1 };
    },
    get drops() {
      return drops;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
