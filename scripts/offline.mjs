// Trunk post_build step, run by externalize-boot.mjs once it is done: makes the build work offline. Copies
// static/sw.js into the build with the list of files to cache and a version (a hash of their
// contents), and adds static/sw-register.js, the external script that registers it (the CSP
// allows no inline script).
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, relative } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error("offline: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)");
  process.exit(1);
}
const root = new URL("..", import.meta.url).pathname;
writeFileSync(join(dir, "sw-register.js"), readFileSync(join(root, "static/sw-register.js")));
const index = join(dir, "index.html");
let html = readFileSync(index, "utf8");
if (!html.includes("sw-register.js")) {
  html = html.replace("</head>", '<script src="./sw-register.js" defer></script>\n</head>');
  writeFileSync(index, html);
}
const walk = (d) => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : [relative(dir, p)];
});
const files = walk(dir).filter((f) => f !== "sw.js").sort();
const hash = createHash("sha256");
for (const f of files) hash.update(f).update(readFileSync(join(dir, f)));
const version = hash.digest("hex").slice(0, 16);
const sw = readFileSync(join(root, "static/sw.js"), "utf8")
  .replace("__VERSION__", version)
  .replace("__FILES__", JSON.stringify(["./", ...files.map((f) => "./" + f)]));
writeFileSync(join(dir, "sw.js"), sw);
console.error(`offline: sw.js caches ${files.length + 1} entries, version ${version}`);
