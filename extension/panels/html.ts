// The HTML shell of every Hotpath webview: a strict CSP (no inline script or style without the nonce, no network),
// the bundled dist/webview/main.js and main.css, and the view name the bundle renders. Pure: the browser tests use it too.
import type { ViewName } from "../../webview/protocol.js";

export interface ShellOptions {
  view: ViewName;
  title: string;
  scriptUri: string;
  styleUri: string;
  /** The webview's resource origin (webview.cspSource); in tests, the file: origin. */
  cspSource: string;
  nonce: string;
}

export function makeNonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function shellHtml(o: ShellOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}" nonce="${o.nonce}">
<title>${escapeAttr(o.title)}</title>
</head>
<body data-view="${o.view}">
<div id="app" role="main" aria-busy="true"><p class="empty">Loading…</p></div>
<script nonce="${o.nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
