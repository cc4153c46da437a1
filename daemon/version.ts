// The daemon's version, taken from package.json at build time (esbuild inlines the JSON import; the named import keeps
// the rest of the manifest out of the bundle).
import { version } from "../package.json";

export const VERSION: string = version;
