// Curve explorer: a slider over the tuning curve's stimulus orientations that draws the arc
// at the chosen orientation and lists the four units' activations to it.
// Follows the component contract (README, "Interactive components"): find the container from
// this script's own figure, fetch its data, build the UI inside it, then mark it live.
(() => {
  const figure = document.currentScript.closest("figure");
  const root = figure.querySelector(".component");
  const SVG = "http://www.w3.org/2000/svg";

  // The arc of figures/stimuli.py's curve(): a circle of `radius` through the image centre,
  // bulging towards `orientation` (degrees, x right, y down), `arc` degrees long.
  function arcPath(stimulus, orientation) {
    const c = (stimulus.size - 1) / 2, r = stimulus.radius, phi = orientation * Math.PI / 180;
    const cx = c - r * Math.cos(phi), cy = c - r * Math.sin(phi), half = stimulus.arc / 2;
    const at = a => [cx + r * Math.cos(phi + a * Math.PI / 180),
                     cy + r * Math.sin(phi + a * Math.PI / 180)].map(v => v.toFixed(2));
    const [x0, y0] = at(-half), [x1, y1] = at(half);
    return `M ${x0} ${y0} A ${r} ${r} 0 0 1 ${x1} ${y1}`;
  }

  function element(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  function build(data) {
    const id = `curve-explorer-${[...document.querySelectorAll(".component")].indexOf(root)}`;
    const last = data.orientations.length - 1;
    const panel = element("div", {class: "curve-explorer"});
    const label = element("label", {for: `${id}-slider`}, "Stimulus orientation ");
    const shown = element("output", {for: `${id}-slider`, class: "curve-explorer-angle"});
    label.append(shown);
    const slider = element("input", {type: "range", id: `${id}-slider`, min: "0",
                                     max: String(last), step: "1", value: "0"});
    const lo = data.stimulus.size / 2 - 16, span = 32;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `${lo} ${lo} ${span} ${span}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("class", "curve-explorer-stimulus");
    const title = document.createElementNS(SVG, "title");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.5");
    path.setAttribute("stroke-linecap", "round");
    svg.append(title, path);
    const table = element("table", {class: "curve-explorer-units"});
    table.append(element("caption", {}, `Activation of ${data.layer} units`));
    const head = element("tr");
    head.append(element("th", {scope: "col"}, "Unit"), element("th", {scope: "col"}, "Activation"),
                element("th", {scope: "col"}, "Preferred"));
    table.append(head);
    const top = Math.max(...Object.values(data.activations).flat().map(Math.abs));
    const cells = data.units.map(unit => {
      const row = element("tr");
      const value = element("td", {class: "curve-explorer-value"});
      const bar = element("span", {class: "curve-explorer-bar", "aria-hidden": "true"});
      const number = element("span", {"data-unit": String(unit)});
      value.append(number, bar);
      row.append(element("th", {scope: "row"}, `${data.layer}:${unit}`), value,
                 element("td", {}, `${data.preferred[unit]}°`));
      table.append(row);
      return {unit, bar, number};
    });

    function show(index) {
      const angle = data.orientations[index];
      shown.textContent = `${angle}°`;
      slider.setAttribute("aria-valuetext", `${angle} degrees`);
      title.textContent = `An arc bulging towards ${angle} degrees`;
      path.setAttribute("d", arcPath(data.stimulus, angle));
      for (const {unit, bar, number} of cells) {
        const activation = data.activations[unit][index];
        number.textContent = activation.toFixed(2);
        bar.style.width = `${Math.round(40 * Math.max(activation, 0) / top)}px`;
      }
    }

    slider.addEventListener("input", () => show(Number(slider.value)));
    panel.append(label, slider, svg, table);
    root.append(panel);
    show(0);
    root.dataset.live = "true";
  }

  fetch(root.dataset.dataUrl).then(response => response.json()).then(build);
})();
