// The search box in the header: Pagefind's UI over the index that `thread build` wrote into
// pagefind/. Result URLs are site-relative, so they are prefixed with the site's own path.
window.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("search");
  if (!box || !window.PagefindUI) return;
  new PagefindUI({
    element: box,
    baseUrl: new URL(box.dataset.root, location.href).pathname,
    showImages: false,
    resetStyles: false,
  });
  // The input has only a placeholder and a title; give it a name screen readers announce.
  box.querySelector("input")?.setAttribute("aria-label", "Search the articles");
});
