// Trunk post_build hook: moves the inline boot <script type="module"> Trunk writes into
// index.html out to its own file, so the page runs under a Content-Security-Policy without
// 'unsafe-inline' (script-src 'self' 'wasm-unsafe-eval'). Also drops Trunk's build-time nonce
// attributes, which a static page cannot honour anyway (trunk-rs/trunk#853).
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error("externalize-boot: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)");
  process.exit(1);
}
const file = join(dir, "index.html");
let html = readFileSync(file, "utf8");
let count = 0;
html = html.replace(/<script([^>]*)>([\s\S]*?)<\/script>/g, (whole, attrs, body) => {
  if (/\bsrc=/.test(attrs) || body.trim() === "") return whole;
  const name = `boot-${createHash("sha256").update(body).digest("hex").slice(0, 16)}.js`;
  writeFileSync(join(dir, name), body);
  count++;
  const type = /type="module"/.test(attrs) ? ' type="module"' : "";
  return `<script${type} src="./${name}"></script>`;
});
html = html.replace(/\s+nonce="[^"]*"/g, "");
writeFileSync(file, html);
console.error(`externalize-boot: moved ${count} inline script(s) out of index.html`);

// Then the service worker, which must see the boot file written above.
await import("./offline.mjs");
