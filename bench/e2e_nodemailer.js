// nodemailer client for bench/e2e.sh (NODE_PATH points at its private
// node_modules):
//   node e2e_nodemailer.js PORT CONC COUNT FILE FROM TO [CA]
// A pooled transport with CONC connections sends COUNT copies of FILE's
// bytes (raw, same envelope); with CA, STARTTLS is required and verified.
'use strict';
const fs = require('fs');
const nodemailer = require('nodemailer');

async function main() {
  const [port, conc, count, file, from, to, ca] = process.argv.slice(2);
  const raw = fs.readFileSync(file);
  const tls = Boolean(ca);
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: Number(port),
    maxConnections: Number(conc),
    maxMessages: Infinity,
    secure: false,
    ignoreTLS: !tls,
    requireTLS: tls,
    tls: tls ? {ca: fs.readFileSync(ca), servername: '127.0.0.1'} : undefined,
    name: 'e2e.smtpc.test',
  });
  const n = Number(count);
  const sends = [];
  for (let i = 0; i < n; i++) {
    sends.push(transport.sendMail({envelope: {from, to: [to]}, raw}));
  }
  const results = await Promise.allSettled(sends);
  transport.close();
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length > 0) {
    console.error(`nodemailer: ${failed.length} failed: ${failed[0].reason}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`nodemailer: ${e}`);
  process.exit(1);
});
