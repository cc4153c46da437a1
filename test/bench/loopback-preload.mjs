// Preloaded (`node --import`) into a third-party server that has no host option (Portkey's gateway calls
// @hono/node-server's serve({ fetch, port }), which listens on every interface): every listen() binds 127.0.0.1
// instead, and the bound address is printed so the benchmark can check it before sending anything.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "object" && args[0] !== null) args[0] = { ...args[0], host: "127.0.0.1" };
  else if (typeof args[0] === "number" || typeof args[0] === "string") {
    const rest = args.slice(1).filter((a) => typeof a !== "string");
    args = [args[0], "127.0.0.1", ...rest];
  }
  this.once("listening", () => {
    const a = this.address();
    process.stderr.write(`loopback-preload: listening ${typeof a === "object" && a ? `${a.address}:${a.port}` : a}\n`);
  });
  return listen.apply(this, args);
};
