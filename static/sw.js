// kubeplay's service worker: after the first visit, the playground works offline. It serves the
// files of this build (the list and version below are written by scripts/offline.mjs at build
// time) from a cache, cache first; anything else goes to the network untouched. A new build has
// a new version, so the browser installs the new worker, which drops the old cache.
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = "kubeplay-" + VERSION;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("kubeplay-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(
    caches.open(CACHE).then(async (c) => {
      // The page itself under any query (?embed=1): the cached "./".
      const hit = req.mode === "navigate" ? await c.match("./", { ignoreSearch: true }) : await c.match(req);
      return hit ?? fetch(req);
    }),
  );
});
