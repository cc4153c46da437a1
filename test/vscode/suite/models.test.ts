// The model tree's actions against the real daemon: a GGUF in the data dir shows as not loaded, Load Model and Unload
// Model change its state, and Pull Model downloads one from a local model host into the data dir.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ModelInfo } from "../../../daemon/api.js";
import { hotpath, sharedPath } from "./env.js";

type ModelNode = { kind: "model"; model: ModelInfo };

async function modelItems(): Promise<Map<string, { node: ModelNode; item: vscode.TreeItem }>> {
  const { ctx } = await hotpath();
  const roots = await ctx.tree.getChildren();
  const models = roots.find((r) => r.kind === "root" && r.id === "models")!;
  const out = new Map<string, { node: ModelNode; item: vscode.TreeItem }>();
  for (const n of await ctx.tree.getChildren(models))
    if (n.kind === "model") out.set(n.model.id, { node: n, item: ctx.tree.getTreeItem(n) });
  return out;
}

describe("model tree: pull, load, unload", function () {
  before(async function () {
    const model = sharedPath("models", "stories260K.gguf");
    if (!model) this.skip();
    const { ctx } = await hotpath();
    mkdirSync(path.join(ctx.config.dataDir, "models"), { recursive: true });
    copyFileSync(model, path.join(ctx.config.dataDir, "models", "tree-model.gguf"));
    await vscode.commands.executeCommand("hotpath.startDaemon");
    assert.equal(ctx.daemon.state, "running");
  });

  after(async () => {
    const { ctx } = await hotpath();
    await ctx.daemon.stop();
  });

  it("shows a data-dir model as not loaded; Load Model and Unload Model change it", async () => {
    let items = await modelItems();
    const entry = items.get("tree-model");
    assert.ok(entry, `tree-model listed among ${[...items.keys()]}`);
    assert.equal(entry.item.contextValue, "model.unloaded");
    assert.match(String(entry.item.description), /not loaded/);

    const loaded = await vscode.commands.executeCommand<{ state: string }>("hotpath.loadModel", entry.node);
    assert.equal(loaded.state, "ready");
    items = await modelItems();
    assert.equal(items.get("tree-model")!.item.contextValue, "model.ready");

    const unloaded = await vscode.commands.executeCommand<{ state: string }>("hotpath.unloadModel", "tree-model");
    assert.equal(unloaded.state, "unloaded");
    items = await modelItems();
    assert.equal(items.get("tree-model")!.item.contextValue, "model.unloaded");
  });

  it("Pull Model downloads a GGUF into the data dir with progress events, and the tree lists it", async () => {
    const { ctx } = await hotpath();
    const data = readFileSync(sharedPath("models", "stories260K.gguf")!);
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-length": data.length, "content-type": "application/octet-stream" });
      res.end(req.method === "HEAD" ? undefined : data);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/org/repo/pulled-in-vscode.gguf`;
      const alias = await vscode.commands.executeCommand<string>("hotpath.pullModel", url);
      assert.equal(alias, "pulled-in-vscode");
      assert.ok(readFileSync(path.join(ctx.config.dataDir, "models", "pulled-in-vscode.gguf")).equals(data));
      assert.equal((await modelItems()).get("pulled-in-vscode")?.item.contextValue, "model.unloaded");
    } finally {
      server.close();
    }
  });
});
