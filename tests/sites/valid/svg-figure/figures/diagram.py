"""A builder that draws an SVG diagram with a link in it (no model, no torch)."""

from generator.figures import FigureContext, FigureOutput, builder


@builder("link-diagram")
def link_diagram(ctx: FigureContext, name: str = "relu1:3") -> FigureOutput:
    svg = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
           f'<a href="#target"><rect class="node" width="120" height="40" fill="#cde"/>'
           f'<text x="10" y="25">{name}</text></a></svg>')
    return FigureOutput(alt="A box that links to the target section.", svg=svg)
