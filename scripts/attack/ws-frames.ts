/**
 * Raw WebSocket frames and a hand-made handshake, for sending what no well-behaved client
 * library would: protocol violations written straight to the socket.
 */
import crypto from 'node:crypto';
import net from 'node:net';

/** A WebSocket frame as a client would send it (masked unless told otherwise). */
export function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv1?: boolean; masked?: boolean; claimedLength?: number } = {},
): Buffer {
  const { fin = true, rsv1 = false, masked = true } = options;
  const length = options.claimedLength ?? payload.length;
  const head = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** Protocol violations, each of which once ended the server with an uncaught exception. */
export const PROTOCOL_VIOLATIONS: [string, () => Buffer][] = [
  ['a frame above the size cap', () => frame(1, Buffer.alloc(16), { claimedLength: 17 << 20 })],
  ['invalid UTF-8 in a text frame', () => frame(1, Buffer.from([0xff, 0xfe, 0xfd]))],
  ['RSV1 set without an extension', () => frame(1, Buffer.from('{}'), { rsv1: true })],
  ['an unmasked client frame', () => frame(1, Buffer.from('{}'), { masked: false })],
  ['an unknown opcode', () => frame(3, Buffer.from('x'))],
  ['a ping longer than 125 bytes', () => frame(9, Buffer.alloc(200, 1))],
  ['close code 999', () => frame(8, Buffer.from([0x03, 0xe7]))],
  ['a fragmented ping', () => frame(9, Buffer.from('x'), { fin: false })],
  ['a continuation with nothing to continue', () => frame(0, Buffer.from('x'))],
];

/** Opens a raw TCP connection and completes the WebSocket handshake by hand. */
export function rawUpgrade(port: number, token: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /api?token=${encodeURIComponent(token)} HTTP/1.1\r\n` +
          `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(head.split('\r\n')[0]));
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    // Refused or dropped before the handshake ended (no-op once resolved).
    socket.once('close', () => reject(new Error('connection closed before the handshake')));
  });
}
