// The size and speed report of the built page (issue 4, acceptance 4): raw, gzip -9 and brotli
// (quality 11) sizes of every file in dist/, and the speed numbers tests/e2e/perf.json holds
// (written by the e2e suite's speed test). Prints the report and writes it to dist-report.md.
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const walk = (d) => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : [p];
});
const TARGET_GZ = 500 * 1024, TARGET_INTERACTIVE = 500, TARGET_FRAME = 8;
const rows = walk(dist).sort().map((p) => {
  const b = readFileSync(p);
  return {
    file: relative(dist, p),
    raw: b.length,
    gz: gzipSync(b, { level: 9 }).length,
    br: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
});
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gz: t.gz + r.gz, br: t.br + r.br }), { raw: 0, gz: 0, br: 0 });
const kb = (n) => (n / 1024).toFixed(1).padStart(8);
const ok = (good) => (good ? "✓ within target" : "✗ over target");
let out = `# kubeplay page: size and speed\n\nBuilt ${statSync(join(dist, "index.html")).mtime.toISOString()} (\`trunk build --release\`, wasm-opt -Oz).\n\n`;
out += "| file | raw KiB | gzip KiB | brotli KiB |\n|---|---:|---:|---:|\n";
for (const r of rows) out += `| ${r.file} | ${kb(r.raw)} | ${kb(r.gz)} | ${kb(r.br)} |\n`;
out += `| **total** | ${kb(total.raw)} | ${kb(total.gz)} | ${kb(total.br)} |\n\n`;
out += `- Size: ${(total.gz / 1024).toFixed(1)} KiB gzip, ${(total.br / 1024).toFixed(1)} KiB brotli; target ≤ 500 KiB gzip: ${ok(total.gz <= TARGET_GZ)}.\n`;
const perfFile = join(root, "tests/e2e/perf.json");
if (existsSync(perfFile)) {
  const p = JSON.parse(readFileSync(perfFile, "utf8"));
  out += `- Navigation → interactive (terminal input in the DOM, median of ${p.interactive_runs_ms.length} loads from a local server): ${p.interactive_ms} ms (runs ${p.interactive_runs_ms.join(", ")}); target ≤ 500 ms: ${ok(p.interactive_ms <= TARGET_INTERACTIVE)}.\n`;
  out += `- Frame time while ${p.pods} pods animate (1× clock; a frame = all main-thread work since the previous painting task: the engine worker's frame message (read, yew, DOM), timers, GC, style, layout, paint — the clock tick's engine and view work run in the worker; from a Chromium trace, ${p.frames} frames, ${p.ticks_per_s} ticks/s of the intended 20): p50 ${p.frame_p50_ms} ms, p95 ${p.frame_p95_ms} ms, max ${p.frame_max_ms} ms; target p95 ≤ 8 ms: ${ok(p.frame_p95_ms <= TARGET_FRAME)}.\n`;
  out += `  (measured ${new Date(statSync(perfFile).mtime).toISOString()}, by \`cd tests/e2e && npm test\`)\n`;
} else {
  out += "- Speed: not measured yet (run the e2e tests: `./scripts/test.sh`, or `cd tests/e2e && npm test`).\n";
}
writeFileSync(join(root, "dist-report.md"), out);
process.stdout.write(out);
