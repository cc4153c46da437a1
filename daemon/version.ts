// The daemon's version, taken from package.json at build time (esbuild inlines the JSON import).
import pkg from "../package.json";

export const VERSION: string = pkg.version;
