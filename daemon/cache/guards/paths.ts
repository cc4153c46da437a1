// File paths and URLs: "what does src/config.ts do" vs "what does src/server.ts do".
import { setDifference, type Guard } from "./guard.js";

const PATTERNS = [
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>)]+/gi, // URLs
  /(?<![\w.])(?:~|\.{1,2})?(?:\/[\w.@+-]+)+\/?/g, // /abs/path, ./rel, ~/home
  /\b[\w.@+-]+(?:\/[\w.@+-]+)+\/?/g, // rel/path/file
  /\b[A-Za-z]:\\(?:[\w .-]+\\?)+/g, // C:\Windows\path
  /(?<![\w/])[\w@+-]+(?:\.[\w-]+)*\.(?:ts|tsx|js|jsx|mjs|cjs|py|rs|go|java|kt|rb|php|c|h|cpp|hpp|cs|swift|json|ya?ml|toml|md|txt|csv|html|css|scss|sh|bash|sql|lock|env|cfg|conf|ini|xml|log|gguf|db|sqlite|ipynb|dockerfile|tf|proto|pdf|png|jpe?g|svg|zip|tar|gz)\b/gi,
  /\b(?:Dockerfile|Makefile|Gemfile|Procfile|Rakefile|Jenkinsfile|Vagrantfile|Containerfile)\b/g,
  /(?<![\w./])\.[a-z][\w-]*(?:\.[\w-]+)*/g, // dotfiles: .gitignore, .env.local
];

export function paths(text: string): string[] {
  const out = new Set<string>();
  for (const [i, re] of PATTERNS.entries()) {
    for (const m of text.matchAll(re)) {
      const p = m[0].replace(/[.,;:!?]+$/, "");
      // "and/or", "TCP/IP", "read/write" are not paths: a relative path needs a file extension, two slashes or a trailing one.
      if (i === 2 && !/\.\w+$/.test(p) && (p.match(/\//g) ?? []).length < 2 && !p.endsWith("/")) continue;
      out.add(p);
    }
  }
  // A bare file name that is also the tail of a full path on the same side is the same fact.
  return [...out].filter((p) => ![...out].some((q) => q !== p && q.endsWith(`/${p}`)));
}

export const pathGuard: Guard = {
  kind: "path",
  compare(a, b) {
    return setDifference("path", paths(a), paths(b));
  },
};
