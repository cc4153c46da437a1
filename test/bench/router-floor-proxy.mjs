// The floor of `bench router`: the least a Node HTTP proxy process can do — read the request, send it upstream on a
// keep-alive agent, buffer the answer and write it back in one write with a content-length. No auth, validation,
// routing or span: what the extra process hop itself costs on this machine, so the daemon's own share can be read off.
// Usage: node router-floor-proxy.mjs <upstream base URL>; prints "listening on <url>"; binds 127.0.0.1 only.
import http from "node:http";

const upstream = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const up = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        agent,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (answer) => {
        const out = [];
        answer.on("data", (c) => out.push(c));
        answer.on("end", () => {
          const text = Buffer.concat(out);
          res.writeHead(answer.statusCode ?? 502, {
            "content-type": answer.headers["content-type"] ?? "application/json",
            "content-length": text.length,
          });
          res.end(text);
        });
      },
    );
    up.on("error", () => res.destroy());
    up.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
