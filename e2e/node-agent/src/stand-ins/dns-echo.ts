// What the node agent runs for the CoreDNS image (the conformance suite's UDP backend): a DNS
// responder that answers every query on UDP port 53 with an empty NOERROR answer to the same
// question. The suite only needs some DNS answer to come back through the Gateway; this machine
// has no CoreDNS binary (and the suite's Corefile forwards to public resolvers anyway).
// Usage: node dns-echo.js [ignored CoreDNS flags...]   Env: DNS_PORT (default 53).
import { createSocket } from 'node:dgram';

const port = Number(process.env['DNS_PORT'] ?? 53);
const socket = createSocket('udp4');
socket.on('message', (query, from) => {
  if (query.length < 12) return; // not a DNS message
  const answer = Buffer.from(query);
  // Flags: QR (a response), keep opcode and RD, RA set, RCODE 0 (NOERROR); no answer records.
  answer[2] = ((query[2] ?? 0) & 0x79) | 0x80;
  answer[3] = 0x80;
  answer.writeUInt16BE(0, 6);
  answer.writeUInt16BE(0, 8);
  answer.writeUInt16BE(0, 10);
  // Only the header and the question section: drop additional records (EDNS) of the query.
  const end = questionEnd(query);
  socket.send(end !== undefined ? answer.subarray(0, end) : answer.subarray(0, 12), from.port, from.address);
});
socket.bind(port, '0.0.0.0', () => console.log(`dns-echo: answering on UDP ${port}`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => socket.close(() => process.exit(0)));

/** The offset just past the question section, or undefined when the message is malformed. */
function questionEnd(msg: Buffer): number | undefined {
  const count = msg.readUInt16BE(4);
  let i = 12;
  for (let q = 0; q < count; q++) {
    for (;;) {
      const len = msg[i];
      if (len === undefined) return undefined;
      if (len === 0) {
        i++;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        i += 2;
        break;
      }
      i += len + 1;
    }
    i += 4; // QTYPE, QCLASS
    if (i > msg.length) return undefined;
  }
  return i;
}
