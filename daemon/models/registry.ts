// The models Hotpath knows: those named in the config (--model, config file) and the GGUF files in <data-dir>/models
// (pulled, or copied there). A file's alias is its name without .gguf; a config alias wins over a file of that name.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { GgmlType, GgufFileType, readGgufFileInfo } from "node-llama-cpp";
import type { ModelRef } from "../config.js";
import { checkGguf } from "../engine/gguf/validate.js";

export interface ModelFile {
  alias: string;
  path: string;
  sizeBytes: number;
}

/** `model-00002-of-00003.gguf`: parts after the first belong to the first (llama.cpp loads them through it). */
const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** A model file's alias: its name without .gguf (and without a split part's -00001-of-00003). */
export function aliasOf(fileName: string): string {
  return fileName.replace(SPLIT_PART, "").replace(/\.gguf$/i, "");
}

/** The GGUF files directly under `dir` (none when it does not exist); downloads in progress are not .gguf yet. */
export function scanModelsDir(dir: string): ModelFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: ModelFile[] = [];
  for (const name of names.sort()) {
    if (!/\.gguf$/i.test(name)) continue;
    const split = SPLIT_PART.exec(name);
    if (split && split[1] !== "00001") continue;
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      files.push({ alias: aliasOf(name), path, sizeBytes: stat.size });
    } catch {
      /* removed while listing */
    }
  }
  return files;
}

export interface KnownModel {
  alias: string;
  source: string;
  origin: "config" | "data-dir";
  /** A local file: the config path, or the file in the data dir (undefined for a remote source not yet pulled). */
  path?: string;
}

/** Config models first, then data-dir files whose alias and path no config model already takes. */
export function knownModels(config: ModelRef[], modelsDir: string): KnownModel[] {
  const known: KnownModel[] = config.map((ref) => ({
    alias: ref.alias,
    source: ref.source,
    origin: "config" as const,
    path: isRemote(ref.source) ? undefined : resolve(ref.source),
  }));
  const aliases = new Set(known.map((k) => k.alias));
  const paths = new Set(known.map((k) => k.path));
  for (const file of scanModelsDir(modelsDir)) {
    if (aliases.has(file.alias) || paths.has(file.path)) continue;
    known.push({ alias: file.alias, source: file.path, origin: "data-dir", path: file.path });
  }
  return known;
}

export function isRemote(source: string): boolean {
  return source.startsWith("hf:") || /^https?:\/\//i.test(source);
}

/** Size and quantisation read from the GGUF header (never the weights); undefined fields when it is unreadable. */
export async function describeFile(
  path: string,
): Promise<{ fileBytes?: number; quantization?: string; error?: string }> {
  const verdict = await checkGguf(path).catch((e: Error) => ({ ok: false as const, error: { problem: e.message } }));
  if (!verdict.ok) {
    let fileBytes: number | undefined;
    try {
      fileBytes = statSync(path).size;
    } catch {
      /* missing */
    }
    return { fileBytes, error: verdict.error.problem };
  }
  const quantization =
    verdict.info.fileType !== undefined
      ? quantizationName(verdict.info.fileType)
      : await dominantTensorType(path).catch(() => undefined);
  return { fileBytes: verdict.info.sizeBytes, quantization };
}

/**
 * Files without general.file_type (older converters, tiny research models): the tensor type holding most weights.
 * Read only after our own header check passed (node-llama-cpp's reader is not strict about broken headers).
 */
async function dominantTensorType(path: string): Promise<string | undefined> {
  const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
  const weights = new Map<number, number>();
  for (const t of info.tensorInfo ?? []) {
    const n = t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
    weights.set(t.ggmlType, (weights.get(t.ggmlType) ?? 0) + n);
  }
  const top = [...weights].sort((a, b) => b[1] - a[1])[0];
  return top ? (GgmlType[top[0]] ?? `type ${top[0]}`).toUpperCase() : undefined;
}

/** GGUF general.file_type as llama.cpp names it (Q4_K_M, Q8_0, F16…). */
export function quantizationName(fileType: number | undefined): string | undefined {
  if (fileType === undefined) return undefined;
  const name = GgufFileType[fileType] as string | undefined;
  if (!name) return `type ${fileType}`;
  return name.replace(/^MOSTLY_/, "").replace(/^ALL_/, "");
}
