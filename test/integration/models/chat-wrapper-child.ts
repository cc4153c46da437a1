// Child process of chat-wrapper.test.ts: resolves one model's chat wrapper through the worker, says how, and returns;
// the process must then exit on its own (a file, not `node -e`: node-llama-cpp's binary test re-runs the entry).
import { getLlama } from "node-llama-cpp";
import { validateGguf } from "../../../daemon/engine/gguf/validate.js";
import { ChatWrapperResolution } from "../../../daemon/models/chat-wrapper.js";

const file = process.argv[2];
const llama = await getLlama({ gpu: false });
const resolution = new ChatWrapperResolution(file, (await validateGguf(file)).hasChatTemplate);
const model = await llama.loadModel({ modelPath: file });
const { source } = await resolution.wrapperFor(model);
await model.dispose();
await llama.dispose();
console.log(`resolved via ${source}`);
