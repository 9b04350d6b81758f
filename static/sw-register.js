// Registers the service worker that keeps the playground working offline after the first visit.
// A file of its own because the page's Content-Security-Policy allows no inline script.
if ("serviceWorker" in navigator) {
  addEventListener("load", () => {
    navigator.serviceWorker.register("./sw.js").catch(() => {});
  });
}
