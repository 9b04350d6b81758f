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
// The engine worker (web/src/worker.rs): a module worker that loads the same wasm-bindgen glue
// as the page (the hashed name Trunk just wrote) and instantiates the WebAssembly.Module the
// page posts first (no second download or compile), then hands each message to
// `worker_receive`. Messages that arrive meanwhile wait in a queue. The boot script starts it
// first thing (window.kubeplayWorker), so its script loads while the page compiles the wasm;
// <meta name="kubeplay-worker"> names it too.
const glue = html.match(/['"]([^'"]*kubeplay-web-[0-9a-f]+\.js)['"]/)?.[1];
if (!glue) {
  console.error("externalize-boot: no wasm-bindgen glue named in index.html's boot script");
  process.exit(1);
}
const worker = `// kubeplay's engine worker (written by scripts/externalize-boot.mjs).
import init, { worker_receive } from ${JSON.stringify(glue)};
const queue = [];
let ready = false;
self.onmessage = async (e) => {
  if (ready) return worker_receive(e.data);
  if (!(e.data instanceof WebAssembly.Module)) return queue.push(e.data);
  await init({ module_or_path: e.data });
  ready = true;
  for (const m of queue.splice(0)) worker_receive(m);
};
`;
const workerName = `worker-${createHash("sha256").update(worker).digest("hex").slice(0, 16)}.js`;
let count = 0;
html = html.replace(/<script([^>]*)>([\s\S]*?)<\/script>/g, (whole, attrs, body) => {
  if (/\bsrc=/.test(attrs) || body.trim() === "") return whole;
  if (/type="module"/.test(attrs)) {
    body = `window.kubeplayWorker = new Worker("./${workerName}", { type: "module" });\n` + body;
  }
  const name = `boot-${createHash("sha256").update(body).digest("hex").slice(0, 16)}.js`;
  writeFileSync(join(dir, name), body);
  count++;
  const type = /type="module"/.test(attrs) ? ' type="module"' : "";
  return `<script${type} src="./${name}"></script>`;
});
html = html.replace(/\s+nonce="[^"]*"/g, "");

writeFileSync(join(dir, workerName), worker);
html = html.replace("</head>", `<meta name="kubeplay-worker" content="./${workerName}">\n</head>`);
writeFileSync(file, html);
console.error(`externalize-boot: moved ${count} inline script(s) out of index.html; engine worker ${workerName}`);

// Then the service worker, which must see the boot file written above.
await import("./offline.mjs");
