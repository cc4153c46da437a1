// Interim check until the full validator lands: readable GGUF header with the keys llama.cpp aborts without.
import { readGgufFileInfo } from "node-llama-cpp";

export async function validateGguf(path: string): Promise<void> {
  let info;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: false });
  } catch (e) {
    throw new Error(`${path} is not a readable GGUF file (${(e as Error).message})`);
  }
  const arch = info.metadata?.general?.architecture as string | undefined;
  const archMeta = arch ? (info.metadata as any)[arch] : undefined;
  for (const key of ["feed_forward_length", "block_count", "embedding_length"]) {
    if (archMeta?.[key] === undefined) throw new Error(`${path} lacks the metadata key ${arch}.${key}; the file is incomplete or not a supported model`);
  }
  if (archMeta?.attention?.head_count === undefined) throw new Error(`${path} lacks ${arch}.attention.head_count`);
}
