// End-to-end tests of the built playground (dist/) in Debian's Chromium via playwright-core.
// Run: ./scripts/build-web.sh && (cd tests/e2e && npm install && npm test)
// Screenshots land in tests/e2e/screenshots/ — look at them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../../dist/", import.meta.url));
const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

let server, browser, base;

before(async () => {
  await mkdir(shots, { recursive: true });
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open() {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const requests = [];
  let loaded = false;
  page.on("request", (r) => { if (loaded) requests.push(r.url()); });
  await page.goto(base);
  await page.waitForSelector("input.cmd");
  loaded = true;
  return { page, errors, requests };
}

/** The pod tile's class list, or null when there is no such pod. */
const podClass = (page, name) =>
  page.evaluate((n) => document.querySelector(`g.pod[aria-label^="pod ${n},"]`)?.getAttribute("class") ?? null, name);

test("apply web.yaml: web-0 is Running and Ready before web-1 appears", async () => {
  const { page, errors, requests } = await open();
  await page.getByRole("button", { name: "5×" }).click();
  await page.locator("button.apply").click();
  await page.waitForSelector(`g.pod[aria-label^="pod web-0,"]`);
  let web0BeforeWeb1 = null;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [w0, w1] = [await podClass(page, "web-0"), await podClass(page, "web-1")];
    if (w1 !== null) {
      web0BeforeWeb1 = w0;
      break;
    }
    await page.waitForTimeout(50);
  }
  assert.ok(web0BeforeWeb1, "web-1 appeared within a minute");
  assert.match(web0BeforeWeb1, /\bready\b/, "web-0 was Running and Ready when web-1 was created");
  await page.getByRole("button", { name: "Settle now" }).click();
  await page.waitForFunction(() => document.querySelectorAll("g.dns.lit").length === 2);
  await page.screenshot({ path: join(shots, "applied.png") });
  assert.match(await page.locator(".terminal .screen").innerText(), /statefulset\.apps\/web created/);
  assert.deepEqual(requests, [], "no network request after load");
  assert.deepEqual(errors, []);
  await page.close();
});

test("hostile text renders as text; a YAML error is marked at its line", async () => {
  const { page, errors } = await open();
  const cmd = page.locator("input.cmd");
  await cmd.fill(`echo '<img src=x onerror=alert(1)>'`);
  await cmd.press("Enter");
  await page.waitForFunction(() => document.querySelector(".terminal .screen").innerText.includes("<img src=x"));
  assert.equal(await page.locator(".terminal img").count(), 0);
  await page.locator("textarea.yaml").fill("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n");
  await page.waitForSelector(".problem");
  const problem = await page.locator(".problem").first().innerText();
  assert.match(problem, /line \d+/);
  assert.ok(await page.locator(".gutter .bad").count() >= 1);
  await page.screenshot({ path: join(shots, "yaml-error.png") });
  assert.deepEqual(errors, []);
  await page.close();
});
