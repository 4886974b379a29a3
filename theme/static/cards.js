// Hover cards: CSS opens them on hover and keyboard focus; this adds tap-to-toggle and Escape.
(() => {
  let touch = false;
  const close = (except) => document.querySelectorAll(".has-card.open").forEach((c) => c !== except && c.classList.remove("open"));
  document.addEventListener("pointerdown", (e) => { touch = e.pointerType !== "mouse"; });
  document.addEventListener("click", (e) => {
    const link = e.target.closest(".has-card > a, .has-card > sup > a");
    const card = link && link.closest(".has-card");
    close(card);
    if (card && touch) {
      e.preventDefault();
      if (card.classList.toggle("open")) return;
      link.blur();  // closing: focus would keep the card open through :focus-within
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    close(null);
    const focused = document.activeElement.closest(".has-card");
    if (focused) focused.classList.add("dismissed"), focused.addEventListener("focusout", () => focused.classList.remove("dismissed"), { once: true });
  });
})();
