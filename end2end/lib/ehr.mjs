// A stand-in EHR: an MLLP listener that answers every HL7 v2 message with an ACK carrying
// MSA|AA|<MSH-10 of the message>, and remembers what it received.
import net from 'node:net';

const VT = 0x0b;
const FS_CR = Buffer.from([0x1c, 0x0d]);

/** MSH fields by HL7 number: MSH-1 is the separator itself, so MSH-n is split('|')[n - 1]. */
export function mshField(message, n) {
  const msh = message.split(/\r\n|\r|\n/).find((s) => s.startsWith('MSH'));
  return msh ? msh.split('|')[n - 1] : undefined;
}

function ackFor(message, code = 'AA') {
  const controlId = mshField(message, 10) ?? '';
  const ts = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const msh = [
    'MSH', '^~\\&', mshField(message, 5) ?? 'EHR', mshField(message, 6) ?? '',
    mshField(message, 3) ?? '', mshField(message, 4) ?? '', ts, '', 'ACK^R01^ACK',
    `ACK${controlId}`, 'P', mshField(message, 12) ?? '2.5.1',
  ].join('|');
  const text = code === 'AA' ? '' : '|OBX-5 not accepted by the test EHR';
  return `${msh}\rMSA|${code}|${controlId}${text}\r`;
}

/**
 * Starts the listener on 127.0.0.1 and `port` (by default one the OS chooses). `code(message)`
 * picks each ACK's MSA-1 (AA unless a test says otherwise).
 */
export async function startEhr({ port = 0, code = () => 'AA' } = {}) {
  const received = [];
  const sockets = new Set();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const start = buf.indexOf(VT);
        const end = buf.indexOf(FS_CR, start + 1);
        if (start < 0 || end < 0) break;
        const message = buf.subarray(start + 1, end).toString('utf8');
        buf = buf.subarray(end + 2);
        received.push(message);
        sock.write(Buffer.concat([Buffer.from([VT]), Buffer.from(ackFor(message, code(message)), 'utf8'), FS_CR]));
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
