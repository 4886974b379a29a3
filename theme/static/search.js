// The search box in the header: Pagefind's UI over the index that `thread build` wrote into
// pagefind/. The index comes in shards (an edit re-indexes only its own); pagefind/ holds the
// primary one and pagefind/shards.json lists the others, which Pagefind merges in the browser.
// Result URLs are site-relative, so they are prefixed with the site's own path.
window.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("search");
  if (!box || !window.PagefindUI) return;
  const baseUrl = new URL(box.dataset.root, location.href).pathname;
  const bundle = `${baseUrl}pagefind/`;
  const shards = await fetch(`${bundle}shards.json`, { cache: "no-cache" })
    .then((response) => (response.ok ? response.json() : { merge: [] }))
    .catch(() => ({ merge: [] }));
  new PagefindUI({
    element: box,
    baseUrl,
    bundlePath: bundle,
    mergeIndex: shards.merge.map((folder) => ({ bundlePath: bundle + folder, baseUrl })),
    showImages: false,
    resetStyles: false,
  });
  // The input has only a placeholder and a title; give it a name screen readers announce.
  box.querySelector("input")?.setAttribute("aria-label", "Search the articles");
});
